import type pg from 'pg';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import { toError } from '../../internal/to_error.js';
import { type Logger, silentLogger } from '../../logger.js';
import { tryDrainLock } from './drain_lock.js';
import type { ClaimedOutboxEvent } from './enqueue.js';
import { markClaimedPublished } from './mark_batcher.js';
import { publishPending } from './publish_rows.js';
import { RELEASE_CLAIM_SQL, ROW_DONE_SQL } from './sql.js';
import { connectWithin } from './timeouts.js';

/**
 * The part of an `OutboxRelay` the fast path uses: a nudge when it leaves rows to the relay.
 *
 * @example
 * ```ts
 * const wakeable: Wakeable = relay;
 * ```
 */
export interface Wakeable {
  wake(): void;
}

/**
 * Options of {@link publishAfterCommit}.
 *
 * @example
 * ```ts
 * await publishAfterCommit(pool, sync, outboxId, { relay, logger });
 * ```
 */
export interface PublishAfterCommitOptions {
  /**
   * A relay in this process to wake when the row is left to it (another publisher holds the drain
   * lock, or the publish failed). Needed in embedded mode, where NOTIFY does not reach the relay.
   */
  relay?: Wakeable | undefined;
  /**
   * Most rows of the guild published in one go (earlier rows of the guild still pending go first).
   * @defaultValue 100
   */
  batchSize?: number;
  /**
   * A pino-compatible logger (failures at warn).
   * @defaultValue silent
   */
  logger?: Logger;
  /**
   * Mark a claimed row published with a named prepared statement (parsed once per connection).
   * Leave it off behind a pooler that does not keep prepared statements per server connection
   * (PgBouncer in transaction mode before 1.21).
   * @defaultValue false
   */
  preparedStatements?: boolean | undefined;
  /**
   * How long a claimed row's mark may wait for the marks of other writes, so that they share one
   * `UPDATE`. With `0`, marks share a statement only when they arrive while another one runs, and
   * the call resolves once its row is marked. With a delay, the call resolves as soon as the event
   * is published and the mark follows within `markDelayMs`: a steady stream of writes then pays a
   * fraction of a statement per event for its marks, and the response never waits for one. A mark
   * that fails or never runs (the process exits first) costs a second publish once the claim
   * lapses, which consumers ignore by version; a failure is logged at warn. Use a delay far below
   * the claim (`claimMs`, 10 s by default).
   * @defaultValue 0
   */
  markDelayMs?: number | undefined;
}

/**
 * Refuses a `markDelayMs` that is not a finite number of milliseconds ≥ 0.
 *
 * @throws TypeError naming `caller` and the value
 */
export function checkMarkDelay(caller: string, markDelayMs: number | undefined): void {
  if (markDelayMs === undefined) return;
  if (!(markDelayMs >= 0) || !Number.isFinite(markDelayMs)) {
    throw new TypeError(
      `${caller}: markDelayMs must be a finite number of milliseconds >= 0, got ${markDelayMs}`,
    );
  }
}

/**
 * Defaults of {@link PublishAfterCommitOptions}.
 *
 * @example
 * ```ts
 * DefaultPublishAfterCommitOptions.batchSize; // 100
 * ```
 */
export const DefaultPublishAfterCommitOptions = {
  batchSize: 100,
  preparedStatements: false,
  markDelayMs: 0,
} as const satisfies Omit<Required<PublishAfterCommitOptions>, 'relay' | 'logger'>;

/**
 * The fast path: publishes a committed outbox event right away, so it goes out within a round
 * trip of the COMMIT. It never throws (the write is committed whatever happens here) and never
 * holds a transaction. Call it after COMMIT, with the pool or with a client that is not in a
 * transaction; `versionedUpdate()` calls it for you.
 *
 * - Given the {@link ClaimedOutboxEvent} from `enqueueClaimed()` (the quick way): publishes the
 *   event it holds, then marks the row published (one `UPDATE`, shared with the marks of
 *   concurrent calls on the same pool, committed without waiting for the WAL flush: a lost mark
 *   only means a harmless second publish). If the publish fails, the claim is dropped and the
 *   relays are woken, and this resolves `false`.
 * - Given a row id from `enqueue()`: takes the drain lock, publishes the pending rows of that
 *   guild up to this one in order, and marks them. When the lock is busy or the publish fails, the
 *   row stays for the relay and this resolves `false`.
 *
 * In both cases `options.relay` is woken when the row is left to it.
 *
 * @returns whether the event is published now (by this call or earlier)
 * @throws TypeError for a `markDelayMs` that is not a finite number ≥ 0 (before anything is done)
 *
 * @example
 * ```ts
 * const event = await withTransaction(pool, (client) => enqueueClaimed(client, 'guild:reload', { guildId }));
 * const published = await publishAfterCommit(pool, sync, event, { relay });
 *
 * // or, with a row from enqueue():
 * const outboxId = await withTransaction(pool, (client) => enqueue(client, 'guild:reload', { guildId }));
 * await publishAfterCommit(pool, sync, outboxId, { relay });
 * ```
 */
export async function publishAfterCommit<M extends ChannelMap>(
  db: pg.Pool | pg.ClientBase,
  sync: SyncClient<M>,
  outbox: string | ClaimedOutboxEvent,
  options: PublishAfterCommitOptions = {},
): Promise<boolean> {
  checkMarkDelay('publishAfterCommit', options.markDelayMs);
  if (typeof outbox !== 'string') return publishClaimed(db, sync, outbox, options);
  const outboxId = outbox;
  const logger = options.logger ?? silentLogger;
  const limit = options.batchSize ?? DefaultPublishAfterCommitOptions.batchSize;
  let client: pg.ClientBase | undefined;
  let borrowed: pg.PoolClient | undefined;
  let broken: Error | undefined;
  let published = false;
  try {
    if (typeof (db as pg.Pool).totalCount === 'number') {
      borrowed = await connectWithin(db as pg.Pool);
      client = borrowed;
    } else {
      client = db as pg.ClientBase;
    }
    const lock = await tryDrainLock(client);
    if (!lock) {
      logger.debug(
        { outboxId },
        `Outbox row ${outboxId} left to the relay: another publisher holds the lock`,
      );
    } else {
      try {
        const pass = await publishPending(client, sync, { limit, upToId: outboxId, logger });
        if (pass.error) {
          logger.warn(
            { err: pass.error, outboxId },
            `Publish after commit failed, outbox row ${outboxId} left to the relay: ${pass.error.message}`,
          );
        } else if (pass.published.includes(outboxId)) {
          published = true;
        } else {
          const { rows } = await client.query<{ published: boolean }>(ROW_DONE_SQL, [outboxId]);
          published = rows[0]?.published ?? true;
        }
      } finally {
        await lock.release().catch((err: unknown) => {
          broken = toError(err);
        });
      }
    }
  } catch (err) {
    broken = toError(err);
    logger.warn(
      { err: broken, outboxId },
      `Publish after commit failed, outbox row ${outboxId} left to the relay`,
    );
  } finally {
    borrowed?.release(broken);
  }
  if (!published) options.relay?.wake();
  return published;
}

/** The fast path of a claimed row: publish what the writer holds, then mark the row. */
async function publishClaimed<M extends ChannelMap>(
  db: pg.Pool | pg.ClientBase,
  sync: SyncClient<M>,
  event: ClaimedOutboxEvent,
  options: PublishAfterCommitOptions,
): Promise<boolean> {
  const logger = options.logger ?? silentLogger;
  const outboxId = event.id;
  const publish = sync.publishUntyped.bind(sync);
  try {
    await publish(event.channel, event.payload);
  } catch (err) {
    const e = toError(err);
    logger.warn(
      { err: e, outboxId },
      `Publish after commit failed, outbox row ${outboxId} left to the relay: ${e.message}`,
    );
    await releaseClaims(db, [outboxId], e.message, { relay: options.relay, logger });
    return false;
  }
  const delayMs = options.markDelayMs ?? DefaultPublishAfterCommitOptions.markDelayMs;
  const marked = markClaimedPublished(
    db,
    outboxId,
    options.preparedStatements ?? DefaultPublishAfterCommitOptions.preparedStatements,
    delayMs,
  ).catch((err: unknown) => {
    // Published: at worst a relay publishes it again once the claim lapses (consumers ignore it).
    logger.warn(
      { err: toError(err), outboxId },
      `Outbox row ${outboxId} published but not marked: ${toError(err).message}`,
    );
  });
  if (delayMs === 0) await marked;
  return true;
}

/**
 * Hands claimed rows to the relays at once (their writer will not publish them): drops the claim,
 * records `reason`, NOTIFYs the relays and wakes `relay`. Never throws: if the database cannot be
 * reached the claims simply lapse.
 */
export async function releaseClaims(
  db: pg.Pool | pg.ClientBase,
  outboxIds: readonly string[],
  reason: string,
  options: { relay?: Wakeable | undefined; logger?: Logger | undefined },
): Promise<void> {
  if (outboxIds.length === 0) return;
  await db.query(RELEASE_CLAIM_SQL, [outboxIds, reason.slice(0, 1000)]).catch((err: unknown) => {
    (options.logger ?? silentLogger).warn(
      { err: toError(err), outboxIds },
      `Outbox rows ${outboxIds.join(', ')} stay claimed until their claim lapses: ${toError(err).message}`,
    );
  });
  options.relay?.wake();
}
