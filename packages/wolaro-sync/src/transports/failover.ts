import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { PublishFailedError } from '../errors.js';
import { BaseTransport } from '../internal/base_transport.js';
import { eventIdOf } from '../internal/event_id.js';
import { checkOptions, durationMs } from '../internal/options.js';
import { toError } from '../internal/to_error.js';
import type { Transport } from './transport.js';

/**
 * Options of {@link FailoverTransport}.
 *
 * @example
 * ```ts
 * new FailoverTransport([redis, pg], { dedupeMax: 50_000 });
 * ```
 */
export interface FailoverTransportOptions {
  /**
   * How many recent event ids are remembered to drop the copy that arrives on a second transport.
   * @defaultValue 20000
   */
  dedupeMax?: number;
  /**
   * How long an event id is remembered, in ms.
   * @defaultValue 60000
   */
  dedupeTtlMs?: number;
}

const transportShape = z.custom<object>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    ['connect', 'subscribe', 'publish', 'close', 'on'].every(
      (m) => typeof (v as Record<string, unknown>)[m] === 'function',
    ),
  'must be a Transport',
);
const failoverSchema = z.object({
  members: z.array(transportShape, 'must be an array of transports').min(1, 'needs at least one transport'),
  dedupeMax: z.number().int().positive().optional(),
  dedupeTtlMs: durationMs.optional(),
});

/**
 * Keeps real-time sync alive through an outage: publishes on the first healthy transport (in the
 * order given), listens on all of them, and drops the copy of an event that arrives twice (by
 * `eventId`). With `[redis, pg]`, panels keep updating through Postgres LISTEN/NOTIFY while Redis
 * is down. It is down only when every member is down.
 *
 * @example
 * ```ts
 * import { FailoverTransport, RedisTransport, SyncClient } from '@wolaro/sync';
 * import { PgNotifyTransport } from '@wolaro/sync/pg';
 *
 * const sync = new SyncClient({
 *   transport: new FailoverTransport([
 *     new RedisTransport({ redis: process.env.REDIS_URL }),
 *     new PgNotifyTransport({ connectionString: process.env.DATABASE_URL }),
 *   ]),
 * });
 * ```
 */
export class FailoverTransport extends BaseTransport {
  readonly name: string;
  readonly #members: readonly Transport[];
  readonly #seen: LRUCache<string, true>;

  constructor(members: readonly Transport[], options: FailoverTransportOptions = {}) {
    super();
    checkOptions('FailoverTransport', failoverSchema, { members, ...options });
    this.#members = [...members]; // a copy: members added to the caller's array later were never wired
    this.name = `failover(${this.#members.map((m) => m.name).join(',')})`;
    this.#seen = new LRUCache({ max: options.dedupeMax ?? 20_000, ttl: options.dedupeTtlMs ?? 60_000 });
    for (const member of this.#members) {
      member.on('message', (channel, raw) => {
        const id = eventIdOf(raw);
        if (id !== undefined) {
          const key = `${channel}\u0000${id}`;
          if (this.#seen.has(key)) return;
          this.#seen.set(key, true);
        }
        this.emit('message', channel, raw);
      });
      member.on('error', (err) => this.emit('error', err));
      member.on('invalid', (channel, reason, sample) => this.emit('invalid', channel, reason, sample));
      member.on('down', (err) => {
        this.emit('error', new Error(`${member.name} transport down: ${err.message}`, { cause: err }));
        if (!this.healthy) this.markDown(err);
      });
      // Any member coming back may have missed messages the others did not carry: resync.
      member.on('up', (info) => {
        if (this.isDown) this.markUp();
        else this.emit('up', info);
      });
    }
  }

  /** The member transports, in publish preference order. */
  get members(): readonly Transport[] {
    return this.#members;
  }

  get healthy(): boolean {
    return this.#members.some((m) => m.healthy);
  }

  async connect(): Promise<void> {
    const results = await Promise.allSettled(this.#members.map((m) => m.connect()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length === results.length) {
      throw new AggregateError(
        failures.map((f) => toError(f.reason)),
        'Every failover transport failed to connect',
      );
    }
    for (const failure of failures) this.emit('error', toError(failure.reason));
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    for (const c of channels) this.channels.add(c);
    const results = await Promise.allSettled(this.#members.map((m) => m.subscribe(channels)));
    if (results.every((r) => r.status === 'rejected')) throw toError(results[0]?.reason);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const c of channels) this.channels.delete(c);
    await Promise.allSettled(this.#members.map((m) => m.unsubscribe(channels)));
  }

  async publish(channel: string, message: string): Promise<void> {
    let lastError: unknown;
    // Healthy members first, in order; then the others as a last resort.
    const ordered = [...this.#members.filter((m) => m.healthy), ...this.#members.filter((m) => !m.healthy)];
    for (const member of ordered) {
      try {
        await member.publish(channel, message);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw new PublishFailedError(channel, { cause: lastError });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#members.map((m) => m.close()));
    this.removeAllListeners();
  }
}
