import type pg from 'pg';
import type { BuiltinChannels } from '../../channels/builtin.js';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import { type ClaimedOutboxEvent, enqueue, enqueueClaimed, type OutboxEvent } from './enqueue.js';
import { RowNotFoundError } from './errors.js';
import { checkMarkDelay, releaseClaims } from './publish_after_commit.js';
import { withTransaction } from './transaction.js';
import {
  type FastPathOptions,
  publishClaimed,
  updateSql,
  type VersionedRowOptions,
  versionedRow,
  whyNotUpdated,
} from './versioned_row.js';

/**
 * Options of {@link versionedUpdate}. `Row` is the shape of the updated row (`RETURNING *`).
 *
 * @example
 * ```ts
 * const options: VersionedUpdateOptions<GuildRow> = {
 *   table: 'guilds', idColumn: 'guild_id', id: '123', set: { settings }, expectedVersion: 4,
 *   event: (row) => ({ channel: 'config:update', payload: { guildId: row.guild_id, settings: row.settings } }),
 * };
 * ```
 */
export interface VersionedUpdateOptions<Row, M extends ChannelMap = BuiltinChannels, P = undefined>
  extends VersionedRowOptions,
    FastPathOptions {
  /**
   * Builds the event(s) from the updated row. A channel whose payload has a `version` field gets
   * the row's new version when the payload leaves it out. With your own channels, type the row
   * here (`event: (row: GuildRow) => …`) rather than as `versionedUpdate<GuildRow>(…)`, so the
   * channel map is still inferred from `sync`.
   */
  event: (row: Row, prepared: P) => OutboxEvent<M> | readonly OutboxEvent<M>[];
  /**
   * Runs inside the transaction after the update and before `event`, with the same client (use
   * only it), e.g. to write a child row the event describes; what it returns is `event`'s second
   * argument and the result's `prepared`. Throwing rolls everything back.
   */
  prepare?: ((client: pg.PoolClient, row: Row) => Promise<P>) | undefined;
  /**
   * Runs inside the transaction after the update and the enqueue, with the same client (use only
   * it), e.g. to insert a revision row. Throwing rolls everything back.
   */
  beforeCommit?: ((client: pg.PoolClient, row: Row) => Promise<void>) | undefined;
  /**
   * Runs after COMMIT and before the publish: the change and its event are durable here. If it
   * throws, the call rejects and the relay publishes the event (the claim is dropped at once).
   */
  afterCommit?: ((row: Row) => void | Promise<void>) | undefined;
  /**
   * Publish right after COMMIT (the fast path): the rows are claimed (`enqueueClaimed`) and this
   * call publishes the events it holds. With `false` they are left to the relay (`enqueue`).
   * @defaultValue true
   */
  publish?: boolean;
  /**
   * With the fast path, how long relays leave the rows to this call; a process that dies after
   * COMMIT has its events published by a relay once the claim lapses.
   * @defaultValue 10000 (`DefaultEnqueueClaimedOptions.claimMs`)
   */
  claimMs?: number | undefined;
}

/**
 * Defaults of {@link VersionedUpdateOptions}.
 *
 * @example
 * ```ts
 * DefaultVersionedUpdateOptions.versionColumn; // 'version'
 * ```
 */
export const DefaultVersionedUpdateOptions = {
  versionColumn: 'version',
  publish: true,
} as const satisfies Partial<VersionedUpdateOptions<unknown>>;

/**
 * What {@link versionedUpdate} did.
 *
 * @example
 * ```ts
 * const { row, version, published } = await versionedUpdate(pool, sync, options);
 * ```
 */
export interface VersionedUpdateResult<Row, P = undefined> {
  /** The updated row (`RETURNING *`). */
  row: Row;
  /** What `prepare` returned. */
  prepared: P;
  /** The row's new version. */
  version: number;
  /** Ids of the outbox rows written, in order. */
  outboxIds: string[];
  /** Whether the event went out right after COMMIT; if not, the relay publishes it. */
  published: boolean;
}

/**
 * The common path of a versioned change, in one call so no step can be forgotten:
 *
 * 1. `BEGIN`; `UPDATE table SET …, version = version + 1 WHERE id = $id [AND version = $expected]
 *    RETURNING *` (this row lock serialises writers of the same row, which is what keeps the
 *    outbox in commit order per guild);
 * 2. a stale `expectedVersion` → `VersionConflictError` with the current version; no such row →
 *    `RowNotFoundError`; both roll back and write nothing;
 * 3. `prepare`, then `enqueue()` of `event(row, prepared)` (validated against the client's
 *    channels), then `beforeCommit`;
 * 4. `COMMIT`, `afterCommit`, then {@link publishAfterCommit} (unless `publish: false`): a failed
 *    or skipped publish leaves the row to the relay, it never fails the call.
 *
 * Only the transaction's own connection is used inside the transaction, so it is safe on
 * embedded PGlite. Names are validated and quoted; values are parameters.
 *
 * @example
 * ```ts
 * import { versionedUpdate, VersionConflictError } from '@wolaro/sync/pg';
 *
 * interface GuildRow { guild_id: string; settings: Record<string, unknown>; version: number }
 *
 * try {
 *   const { version } = await versionedUpdate(pool, sync, {
 *     table: 'guilds',
 *     idColumn: 'guild_id',
 *     id: guildId,
 *     set: { settings },
 *     expectedVersion: body.version,
 *     event: (row: GuildRow) => ({ channel: 'config:update', payload: { guildId: row.guild_id, settings: row.settings } }),
 *     beforeCommit: async (client, row) => {
 *       await client.query('INSERT INTO config_revisions (guild_id, version, settings) VALUES ($1, $2, $3)',
 *         [row.guild_id, row.version, row.settings]);
 *     },
 *     relay,
 *   });
 *   res.json({ version });
 * } catch (err) {
 *   if (err instanceof VersionConflictError) res.status(409).json({ currentVersion: err.currentVersion });
 *   else throw err;
 * }
 * ```
 */
export async function versionedUpdate<
  Row = Record<string, unknown>,
  M extends ChannelMap = Record<never, never>,
  P = undefined,
>(
  pool: pg.Pool,
  sync: SyncClient<M>,
  options: VersionedUpdateOptions<Row, BuiltinChannels & M, P>,
): Promise<VersionedUpdateResult<Row, P>> {
  const target = versionedRow(options, 'versionedUpdate');
  checkMarkDelay('versionedUpdate', options.markDelayMs);
  const params: unknown[] = [];
  const update = updateSql(target, params);
  const fastPath = options.publish ?? DefaultVersionedUpdateOptions.publish;
  const { row, version, prepared, claimed, outboxIds } = await withTransaction(
    pool,
    async (client) => {
      const { rows } = await client.query<Record<string, unknown>>(update, params);
      const updated = rows[0];
      if (!updated)
        throw (await whyNotUpdated(client, target)) ?? new RowNotFoundError(options.table, String(target.id));
      const typed = updated as Row;
      const newVersion = Number(updated[target.versionName]);
      const prepared = (options.prepare ? await options.prepare(client, typed) : undefined) as P;
      const built: unknown = options.event(typed, prepared);
      const events = (Array.isArray(built) ? built : [built]) as { channel: string; payload: unknown }[];
      const ids: string[] = [];
      const held: ClaimedOutboxEvent[] = [];
      for (const event of events) {
        const payload = withVersion(sync, event.channel, event.payload, newVersion);
        const enqueueOptions = { channels: sync.channels as never };
        if (fastPath) {
          const claimedEvent = await enqueueClaimed(
            client,
            event.channel as never,
            payload as never,
            options.claimMs === undefined ? enqueueOptions : { ...enqueueOptions, claimMs: options.claimMs },
          );
          held.push(claimedEvent);
          ids.push(claimedEvent.id);
        } else {
          ids.push(await enqueue(client, event.channel as never, payload as never, enqueueOptions));
        }
      }
      await options.beforeCommit?.(client, typed);
      return { row: typed, version: newVersion, prepared, claimed: held, outboxIds: ids };
    },
    options,
  );

  try {
    await options.afterCommit?.(row);
  } catch (err) {
    const reason = `afterCommit threw: ${err instanceof Error ? err.message : String(err)}`;
    if (fastPath)
      await releaseClaims(pool, outboxIds, reason, { relay: options.relay, logger: options.logger });
    else options.relay?.wake();
    throw err;
  }
  let published = false;
  if (fastPath) published = await publishClaimed(pool, sync, claimed, options);
  else options.relay?.wake();
  return { row, prepared, version, outboxIds, published };
}

/** Fills in `version` when the channel's payload has that field and the event left it out. */
function withVersion<M extends ChannelMap>(
  sync: SyncClient<M>,
  channel: string,
  payload: unknown,
  version: number,
) {
  if (
    payload === null ||
    typeof payload !== 'object' ||
    (payload as { version?: unknown }).version !== undefined
  ) {
    return payload;
  }
  const channels = sync.channels as ChannelMap;
  // An unknown (or inherited: `toString`) channel is left to enqueue, which refuses it.
  const def = Object.hasOwn(channels, channel) ? channels[channel] : undefined;
  return def && 'version' in def.schema.shape ? { ...payload, version } : payload;
}
