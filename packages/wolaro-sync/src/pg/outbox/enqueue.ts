import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type BuiltinChannels, builtinChannels } from '../../channels/builtin.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../channels/codec.js';
import type { ChannelDefinition, ChannelMap } from '../../channels/define.js';
import type { ChannelName, PublishInput } from '../../channels/types.js';
import { UnknownChannelError } from '../../errors.js';
import { assertPublishable, parseForPublish } from '../../internal/payload_check.js';
import { INSERT_MANY_SQL, INSERT_SQL } from './sql.js';

/**
 * Options of {@link enqueue}.
 *
 * @example
 * ```ts
 * await enqueue(client, 'ticket:created', { guildId: '123', ticketId: 't-1' }, { channels: sync.channels });
 * ```
 */
export interface EnqueueOptions<M extends ChannelMap = Record<never, never>> {
  /**
   * Your own channels (from `defineChannels`, or `sync.channels`), on top of the six built-in
   * ones. Give the same map the relay's `SyncClient` has, so every queued row can be published.
   * @defaultValue the built-in channels only
   */
  channels?: M;
  /**
   * Largest payload accepted (bytes of JSON); keep it at or below the `maxPayloadBytes` of the
   * relay's `SyncClient`.
   * @defaultValue 262144 (256 KiB)
   */
  maxPayloadBytes?: number;
}

/**
 * Defaults of {@link EnqueueOptions}.
 *
 * @example
 * ```ts
 * DefaultEnqueueOptions.maxPayloadBytes; // 262144
 * ```
 */
export const DefaultEnqueueOptions = {
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
} as const satisfies Omit<Required<EnqueueOptions>, 'channels'>;

/**
 * An outbox event: a channel and its payload, typed by channel (what `versionedUpdate`'s `event`
 * returns).
 *
 * @example
 * ```ts
 * const e: OutboxEvent = { channel: 'guild:reload', payload: { guildId: '123', reason: 'restore' } };
 * ```
 */
export type OutboxEvent<M extends ChannelMap = BuiltinChannels> = {
  [C in ChannelName<M>]: { channel: C; payload: PublishInput<C, M> };
}[ChannelName<M>];

/**
 * Validates an event against the channel contract and returns what goes into the outbox: the
 * parsed payload (defaults applied, so `timestamp` is the time of the change) with a fresh
 * `eventId`, which stays the same on every retry so subscribers can drop duplicates.
 *
 * @throws UnknownChannelError / InvalidPayloadError
 */
export function prepareEvent(
  channel: string,
  payload: unknown,
  channels: ChannelMap | undefined,
): Record<string, unknown> {
  const def: ChannelDefinition | undefined = Object.hasOwn(builtinChannels, channel)
    ? (builtinChannels as ChannelMap)[channel]
    : channels && Object.hasOwn(channels, channel)
      ? channels[channel]
      : undefined;
  if (!def) throw new UnknownChannelError(channel);
  const value = parseForPublish(channel, def.schema, payload);
  return { ...value, eventId: typeof value['eventId'] === 'string' ? value['eventId'] : randomUUID() };
}

/**
 * Inserts an event into the outbox with the client of the caller's transaction, so it commits
 * (or rolls back) with the change it describes. Returns the row id (a bigint, as text).
 *
 * The channel must be a built-in one or one of `options.channels`, and the payload must pass
 * exactly what every receiver checks (its schema, no `__proto__`/`constructor`/`prototype` key at
 * any depth, at most `maxPayloadBytes`): a row that no receiver would accept is refused here,
 * while the caller can still roll back (`UnknownChannelError`, `InvalidPayloadError`). The payload's `guildId` is the
 * ordering key: rows of one guild are published in id order. An insert trigger sends
 * `NOTIFY sync_outbox` at commit, which wakes every listening relay.
 *
 * For events that describe versioned state, take the guild's row lock before calling (the
 * `UPDATE … SET version = version + 1` does): that is what makes id order the commit order of
 * one guild. `versionedUpdate()` does all of this for you.
 *
 * @example
 * ```ts
 * import { enqueue, withTransaction } from '@wolaro/sync/pg';
 *
 * const outboxId = await withTransaction(pool, async (client) => {
 *   const { rows } = await client.query(
 *     'UPDATE guilds SET settings = $2, version = version + 1 WHERE guild_id = $1 RETURNING version',
 *     [guildId, settings],
 *   );
 *   return enqueue(client, 'config:update', { guildId, settings, version: rows[0].version });
 * });
 * ```
 */
export async function enqueue<
  C extends ChannelName<BuiltinChannels & M>,
  M extends ChannelMap = Record<never, never>,
>(
  client: pg.ClientBase,
  channel: C,
  payload: PublishInput<C, BuiltinChannels & M>,
  options: EnqueueOptions<M> = {},
): Promise<string> {
  return (await insertEvent(client, channel, payload, options, null)).id;
}

/**
 * Options of {@link enqueueClaimed}.
 *
 * @example
 * ```ts
 * const options: EnqueueClaimedOptions = { claimMs: 5000 };
 * ```
 */
export interface EnqueueClaimedOptions<M extends ChannelMap = Record<never, never>>
  extends EnqueueOptions<M> {
  /**
   * How long relays leave the row to its writer (counted from the insert). If the writer has not
   * published it by then (it died after COMMIT, or it never called `publishAfterCommit`), a relay
   * publishes it on its next poll.
   * @defaultValue 10000
   */
  claimMs?: number;
}

/**
 * Defaults of {@link EnqueueClaimedOptions}.
 *
 * @example
 * ```ts
 * DefaultEnqueueClaimedOptions.claimMs; // 10000
 * ```
 */
export const DefaultEnqueueClaimedOptions = {
  claimMs: 10_000,
} as const satisfies Pick<Required<EnqueueClaimedOptions>, 'claimMs'>;

/**
 * An outbox row its writer publishes itself right after COMMIT: what {@link enqueueClaimed}
 * returns and `publishAfterCommit` takes.
 *
 * @example
 * ```ts
 * const event: ClaimedOutboxEvent = await enqueueClaimed(client, 'guild:reload', { guildId });
 * event.payload.eventId; // the id consumers deduplicate on
 * ```
 */
export interface ClaimedOutboxEvent {
  /** The outbox row id (a bigint, as text). */
  readonly id: string;
  readonly channel: string;
  /** The validated payload, with its `eventId`, exactly as the row holds it. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * Like {@link enqueue}, but the row is claimed by its writer: no relay is woken for it and relays
 * leave it alone for `claimMs`, because the writer publishes the event it already holds right
 * after COMMIT with `publishAfterCommit(pool, sync, event)`, then marks the row published. That
 * fast path costs one publish and one `UPDATE`, where an unclaimed row costs the relay protocol
 * (drain lock, read back, mark, unlock) and a relay wake-up in every process.
 *
 * Nothing is lost: if the writer dies after COMMIT, or its publish fails (the claim is then
 * dropped at once), a relay publishes the row. Order: rows of a guild published by their writers
 * go out in commit order in practice, but a row left to a relay goes out after later ones, so
 * consumers must ignore versions they already hold (every built-in consumer does).
 *
 * @example
 * ```ts
 * import { enqueueClaimed, publishAfterCommit, withTransaction } from '@wolaro/sync/pg';
 *
 * const event = await withTransaction(pool, async (client) => {
 *   const { rows } = await client.query(
 *     'UPDATE guilds SET settings = $2, version = version + 1 WHERE guild_id = $1 RETURNING version',
 *     [guildId, settings],
 *   );
 *   return enqueueClaimed(client, 'config:update', { guildId, settings, version: rows[0].version });
 * });
 * await publishAfterCommit(pool, sync, event, { relay });
 * ```
 */
export async function enqueueClaimed<
  C extends ChannelName<BuiltinChannels & M>,
  M extends ChannelMap = Record<never, never>,
>(
  client: pg.ClientBase,
  channel: C,
  payload: PublishInput<C, BuiltinChannels & M>,
  options: EnqueueClaimedOptions<M> = {},
): Promise<ClaimedOutboxEvent> {
  const claimMs = options.claimMs ?? DefaultEnqueueClaimedOptions.claimMs;
  if (!(claimMs > 0) || !Number.isFinite(claimMs)) {
    throw new TypeError(`enqueueClaimed: claimMs must be a positive number of milliseconds, got ${claimMs}`);
  }
  return insertEvent(client, channel, payload, options, claimMs);
}

/**
 * {@link enqueueClaimed} for several events in ONE statement (a batch of audit rows and their
 * announcements, say): every event is validated first (nothing is written if one is refused), then
 * the rows are inserted together, claimed, in the order given. Publish each returned event after
 * COMMIT with `publishAfterCommit`. An empty list writes nothing.
 *
 * @throws UnknownChannelError / InvalidPayloadError (nothing written)
 *
 * @example
 * ```ts
 * import { enqueueClaimedMany, publishAfterCommit, withTransaction } from '@wolaro/sync/pg';
 *
 * const events = await withTransaction(pool, async (client) => {
 *   await client.query('INSERT INTO audit_log (guild_id, command) SELECT * FROM unnest($1::text[], $2::text[])', [guilds, commands]);
 *   return enqueueClaimedMany(client, runs.map((run) => ({ channel: 'command:executed' as const, payload: run })));
 * });
 * await Promise.all(events.map((event) => publishAfterCommit(pool, sync, event, { relay })));
 * ```
 */
export async function enqueueClaimedMany<M extends ChannelMap = Record<never, never>>(
  client: pg.ClientBase,
  events: readonly OutboxEvent<BuiltinChannels & M>[],
  options: EnqueueClaimedOptions<M> = {},
): Promise<ClaimedOutboxEvent[]> {
  const claimMs = options.claimMs ?? DefaultEnqueueClaimedOptions.claimMs;
  if (!(claimMs > 0) || !Number.isFinite(claimMs)) {
    throw new TypeError(
      `enqueueClaimedMany: claimMs must be a positive number of milliseconds, got ${claimMs}`,
    );
  }
  if (events.length === 0) return [];
  const maxBytes = options.maxPayloadBytes ?? DefaultEnqueueOptions.maxPayloadBytes;
  const prepared = events.map(({ channel, payload }) => {
    const event = prepareEvent(channel, payload, options.channels);
    const json = JSON.stringify(event);
    assertPublishable(channel, json, maxBytes);
    return { channel: channel as string, event, json };
  });
  const column = (pick: (e: Record<string, unknown>) => unknown, type: 'string' | 'number') =>
    prepared.map(({ event }) => {
      const value = pick(event);
      return typeof value === type ? value : null;
    });
  const { rows } = await client.query<{ id: string; event_id: string }>(INSERT_MANY_SQL, [
    prepared.map((p) => p.channel),
    prepared.map((p) => p.json),
    prepared.map((p) => p.event['eventId']),
    column((e) => e['guildId'], 'string'),
    column((e) => e['version'], 'number'),
    claimMs,
  ]);
  const ids = new Map(rows.map((r) => [r.event_id, r.id]));
  return prepared.map(({ channel, event }) => ({
    id: ids.get(event['eventId'] as string)!,
    channel,
    payload: event,
  }));
}

async function insertEvent(
  client: pg.ClientBase,
  channel: string,
  payload: unknown,
  options: EnqueueOptions<ChannelMap>,
  claimMs: number | null,
): Promise<ClaimedOutboxEvent> {
  const maxBytes = options.maxPayloadBytes ?? DefaultEnqueueOptions.maxPayloadBytes;
  const event = prepareEvent(channel, payload, options.channels);
  const json = JSON.stringify(event);
  // Every receiver's check: a row no receiver would accept is refused while the caller can roll back.
  assertPublishable(channel, json, maxBytes);
  const guildId = typeof event['guildId'] === 'string' ? event['guildId'] : null;
  const version = typeof event['version'] === 'number' ? event['version'] : null;
  const { rows } = await client.query<{ id: string }>(INSERT_SQL, [
    channel,
    json,
    event['eventId'],
    guildId,
    version,
    claimMs,
  ]);
  return { id: rows[0]!.id, channel, payload: event };
}
