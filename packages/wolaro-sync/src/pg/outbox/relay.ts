import type pg from 'pg';
import { z } from 'zod';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import { checkOptions, durationMs } from '../../internal/options.js';
import { toError } from '../../internal/to_error.js';
import { type Logger, silentLogger } from '../../logger.js';
import { onDrainLockReleased, tryDrainLock } from './drain_lock.js';
import { OutboxListener } from './listener.js';
import { publishPending } from './publish_rows.js';
import {
  DefaultOutboxRelayOptions,
  type OutboxRelayOptions,
  type OutboxRelayStats,
} from './relay_options.js';
import { LOCATE_TABLE_SQL, OUTBOX_TABLE, PRUNE_SQL } from './sql.js';
import { connectWithin, withQueryTimeout } from './timeouts.js';

type Pass = { kind: 'done'; published: number } | { kind: 'busy' } | { kind: 'failed'; error: Error };

const PRUNE_CHUNK = 5000;

const isObject = (what: string) =>
  z.custom<object>((v) => typeof v === 'object' && v !== null, { error: `must be ${what}` });

/** What the relay's constructor accepts; every problem is reported at once. */
const relayOptionsSchema = z.object({
  pool: isObject('a pg.Pool'),
  sync: isObject('a SyncClient'),
  batchSize: durationMs.optional(),
  pollIntervalMs: durationMs.optional(),
  notify: z.boolean({ error: 'must be true or false' }).optional(),
  pruneAfterMs: z.number().nonnegative('must be >= 0').optional(),
  // 0 turns the timer off (documented), so not a durationMs.
  pruneIntervalMs: z
    .number()
    .int('must be an integer')
    .nonnegative('must be >= 0')
    .max(2_147_483_647, 'must fit a timer (at most 2147483647)')
    .optional(),
  retryDelayMs: durationMs.optional(),
  maxRetryDelayMs: durationMs.optional(),
  busyRetryMs: durationMs.optional(),
  connectTimeoutMs: z.number().int('must be an integer').nonnegative('must be >= 0').optional(),
  queryTimeoutMs: z.number().int('must be an integer').nonnegative('must be >= 0').optional(),
  logger: isObject('a pino-compatible logger').optional(),
});

/**
 * Publishes committed outbox rows and marks them published: the part of the outbox that makes
 * "a process killed between COMMIT and publish loses nothing" true.
 *
 * - Order: rows are published in id order, one publisher at a time (a session-level advisory
 *   lock shared with the after-commit fast path), so the events of one guild go out in version
 *   order even with several relays in several processes.
 * - Wake-ups: `NOTIFY sync_outbox` from the insert trigger (a dedicated LISTEN connection),
 *   `wake()`, and a slow safety-net poll. Never a busy loop.
 * - Failures: a failed publish leaves the row pending (`attempts + 1`, `last_error`) and the
 *   relay retries with exponential back-off; nothing is thrown into the application.
 * - `start()` sweeps what earlier processes left; published rows are pruned after `pruneAfterMs`.
 *
 * @example
 * ```ts
 * import { SyncClient } from '@wolaro/sync';
 * import { migrate, OutboxRelay } from '@wolaro/sync/pg';
 *
 * await migrate(pool);
 * const sync = new SyncClient({ redis: process.env.REDIS_URL, listen: false });
 * await sync.connect();
 * const relay = new OutboxRelay({ pool, sync, logger });
 * await relay.start();           // publishes leftovers, then follows new commits
 * // ... on shutdown:
 * await relay.stop();
 * ```
 */
export class OutboxRelay<M extends ChannelMap = Record<never, never>> {
  readonly #pool: pg.Pool;
  readonly #sync: SyncClient<M>;
  readonly #o: Omit<Required<OutboxRelayOptions<M>>, 'pool' | 'sync' | 'logger'>;
  readonly #logger: Logger;
  #running = false;
  #starting: Promise<void> | undefined;
  #listener: OutboxListener | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #busyWait = false;
  #offLockReleased: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #dirty = false;
  readonly #stats = {
    published: 0,
    failures: 0,
    consecutiveFailures: 0,
    deadLettered: 0,
    pruned: 0,
    lockBusy: 0,
    notifications: 0,
    wakes: 0,
    polls: 0,
    lastError: null as string | null,
  };

  constructor(options: OutboxRelayOptions<M>) {
    checkOptions('OutboxRelay', relayOptionsSchema, options);
    const { pool, sync, logger, ...rest } = options;
    this.#pool = pool;
    this.#sync = sync;
    this.#logger = logger ?? silentLogger;
    this.#o = { ...DefaultOutboxRelayOptions, ...rest };
  }

  /**
   * Checks that `sync_outbox` exists, starts listening (unless `notify: false`) and the timers,
   * and resolves once the leftovers of earlier processes have been swept (or the attempt
   * failed: the relay then retries in the background). Idempotent.
   *
   * @throws Error when `migrate()` has not created `sync_outbox` in the pool's `search_path`
   */
  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { rows } = await this.#pool.query<{ schema: string | null; table_schema: string | null }>(
      LOCATE_TABLE_SQL,
    );
    const schema = rows[0]?.table_schema;
    if (!schema) {
      throw new Error(
        `OutboxRelay: table ${OUTBOX_TABLE} not found in the search_path (current schema ${rows[0]?.schema ?? 'none'}): run migrate(pool) first`,
      );
    }
    this.#running = true;
    this.#offLockReleased = onDrainLockReleased(this.#onLockReleased);
    if (this.#o.notify) {
      const listener = new OutboxListener({
        pool: this.#pool,
        schema,
        logger: this.#logger,
        connectTimeoutMs: this.#o.connectTimeoutMs,
        onNotify: () => {
          this.#stats.notifications++;
          this.#kick();
        },
      });
      this.#listener = listener;
      await listener.start().catch((err: unknown) => {
        this.#logger.warn(
          { err: toError(err) },
          `Outbox relay cannot LISTEN yet, polling until it can: ${toError(err).message}`,
        );
      });
    }
    this.#pollTimer = setInterval(() => {
      this.#stats.polls++;
      this.#kick();
    }, this.#o.pollIntervalMs);
    this.#pollTimer.unref();
    if (this.#o.pruneAfterMs > 0 && this.#o.pruneIntervalMs > 0) {
      this.#pruneTimer = setInterval(() => {
        this.prune().catch((err: unknown) => {
          this.#logger.warn({ err: toError(err) }, `Outbox prune failed: ${toError(err).message}`);
        });
      }, this.#o.pruneIntervalMs);
      this.#pruneTimer.unref();
    }
    this.#kick();
    await this.#loop;
    this.#logger.info(
      { schema, listening: this.#listener?.listening ?? false },
      `Outbox relay started on ${schema}.${OUTBOX_TABLE}`,
    );
  }

  /**
   * Stops the relay, like every other object of the SDK: the same as {@link OutboxRelay.stop}
   * (timers, LISTEN connection, a publish in flight), idempotent. Leaves the pool and the client
   * open.
   *
   * @example
   * ```ts
   * await relay.close();
   * ```
   */
  close(): Promise<void> {
    return this.stop();
  }

  /**
   * Stops the timers and the LISTEN connection and waits for a publish in flight. Leaves the
   * pool and the client open. `start()` may be called again.
   */
  async stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => {});
    if (this.#running) {
      this.#running = false;
      this.#offLockReleased?.();
      this.#offLockReleased = undefined;
      this.#busyWait = false;
      clearInterval(this.#pollTimer);
      clearInterval(this.#pruneTimer);
      clearTimeout(this.#retryTimer);
      this.#pollTimer = this.#pruneTimer = this.#retryTimer = undefined;
      const listener = this.#listener;
      this.#listener = undefined;
      await listener?.close();
      this.#logger.info({}, 'Outbox relay stopped');
    }
    await this.#loop;
  }

  /**
   * In-process nudge: look for pending rows now. For embedded PGlite (NOTIFY does not cross
   * connections) and for code that just committed an outbox row. Cheap; calls made while a drain
   * runs are folded into one more pass. Ignored while stopped; deferred while backing off.
   *
   * @example
   * ```ts
   * await withTransaction(pool, (client) => enqueue(client, 'guild:reload', { guildId }));
   * relay.wake();
   * ```
   */
  wake(): void {
    this.#stats.wakes++;
    this.#kick();
  }

  /**
   * Publishes everything pending now and resolves with how many rows this call published.
   * Works whether or not the relay is started (e.g. a one-off drain in a script). While another
   * publisher holds the drain lock it waits for it. Rejects with the publish error when a publish
   * fails (that row stays pending with `attempts + 1`).
   *
   * @example
   * ```ts
   * const count = await relay.drain();
   * ```
   */
  async drain(): Promise<number> {
    for (;;) {
      const pass = await this.#recordedPass(false);
      if (pass.kind === 'done') return pass.published;
      if (pass.kind === 'failed') throw pass.error;
      await new Promise((resolve) => setTimeout(resolve, this.#o.busyRetryMs));
    }
  }

  /**
   * Deletes rows published more than `pruneAfterMs` ago (in chunks) and resolves with how many.
   * Runs every `pruneIntervalMs` while started. Pending and set-aside rows are never deleted.
   *
   * @example
   * ```ts
   * const deleted = await relay.prune();
   * ```
   */
  async prune(): Promise<number> {
    if (!(this.#o.pruneAfterMs > 0)) return 0;
    let total = 0;
    for (;;) {
      const result = await this.#pool.query({
        text: PRUNE_SQL,
        values: [this.#o.pruneAfterMs, PRUNE_CHUNK],
        ...(this.#o.queryTimeoutMs > 0 ? { query_timeout: this.#o.queryTimeoutMs } : {}),
      } as pg.QueryConfig);
      const count = result.rowCount ?? 0;
      total += count;
      if (count < PRUNE_CHUNK) break;
    }
    this.#stats.pruned += total;
    if (total > 0) this.#logger.debug({ pruned: total }, `Pruned ${total} published outbox rows`);
    return total;
  }

  /**
   * Counters since creation.
   *
   * @example
   * ```ts
   * metrics.outboxFailures.set(relay.stats().consecutiveFailures);
   * ```
   */
  stats(): OutboxRelayStats {
    return { running: this.#running, listening: this.#listener?.listening ?? false, ...this.#stats };
  }

  #kick(): void {
    if (!this.#running) return;
    if (this.#loop || this.#retryTimer) {
      this.#dirty = true;
      return;
    }
    this.#loop = this.#runLoop();
  }

  /**
   * Passes until one finds nothing more to do: a wake-up during a pass asks for another. `#loop` is
   * cleared in the same turn as the last check, so a wake-up after it starts a new loop.
   */
  async #runLoop(): Promise<void> {
    try {
      do {
        this.#dirty = false;
        const pass = await this.#recordedPass(true);
        if (pass.kind === 'busy') {
          // Retried when this process releases the lock, or after busyRetryMs (another process).
          this.#busyWait = true;
          return this.#retryIn(this.#o.busyRetryMs);
        }
        if (pass.kind === 'failed') {
          const delay = Math.min(
            this.#o.retryDelayMs * 2 ** (this.#stats.consecutiveFailures - 1),
            this.#o.maxRetryDelayMs,
          );
          this.#logger.warn(
            { err: pass.error, attempt: this.#stats.consecutiveFailures, retryInMs: delay },
            `Outbox publish failed (attempt ${this.#stats.consecutiveFailures}), retrying in ${delay} ms: ${pass.error.message}`,
          );
          return this.#retryIn(delay);
        }
      } while (this.#running && this.#dirty);
    } finally {
      this.#loop = undefined;
    }
  }

  #retryIn(ms: number): void {
    if (!this.#running) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#busyWait = false;
      this.#kick();
    }, ms);
    this.#retryTimer.unref();
  }

  /** The drain lock was released in this process: a relay waiting only for it goes now. */
  readonly #onLockReleased = (): void => {
    if (!this.#busyWait || !this.#retryTimer) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#busyWait = false;
    // Let the releasing caller finish its turn first.
    setImmediate(() => this.#kick());
  };

  /** One pass with its bookkeeping; never throws. */
  async #recordedPass(background: boolean): Promise<Pass> {
    let pass: Pass;
    try {
      pass = await this.#pass(background);
    } catch (err) {
      pass = { kind: 'failed', error: toError(err) };
    }
    if (pass.kind === 'busy') {
      this.#stats.lockBusy++;
    } else if (pass.kind === 'failed') {
      this.#stats.failures++;
      this.#stats.consecutiveFailures++;
      this.#stats.lastError = pass.error.message;
    } else {
      this.#recovered(pass.published);
    }
    return pass;
  }

  /** Ends a failure streak (logged once); called as soon as rows go out again. */
  #recovered(published: number): void {
    if (this.#stats.consecutiveFailures === 0) return;
    this.#logger.info(
      { failedAttempts: this.#stats.consecutiveFailures, published },
      `Outbox relay recovered, published ${published} pending events`,
    );
    this.#stats.consecutiveFailures = 0;
  }

  /** Takes the drain lock and publishes batches until none is left (or a publish fails). */
  async #pass(background: boolean): Promise<Pass> {
    const pooled = await connectWithin(this.#pool, this.#o.connectTimeoutMs);
    const client = withQueryTimeout(pooled, this.#o.queryTimeoutMs);
    let broken: Error | undefined;
    try {
      const lock = await tryDrainLock(client);
      if (!lock) return { kind: 'busy' };
      try {
        let published = 0;
        for (;;) {
          const batch = await publishPending(client, this.#sync, {
            limit: this.#o.batchSize,
            logger: this.#logger,
          });
          published += batch.published.length;
          this.#stats.published += batch.published.length;
          this.#stats.deadLettered += batch.dead;
          if (batch.error) return { kind: 'failed', error: batch.error };
          if (batch.published.length > 0) this.#recovered(batch.published.length);
          if (!batch.full || (background && !this.#running)) return { kind: 'done', published };
        }
      } finally {
        // If the unlock fails the connection is destroyed below, which releases the lock.
        await lock.release().catch((err: unknown) => {
          broken = toError(err);
        });
      }
    } catch (err) {
      broken = toError(err);
      throw err;
    } finally {
      pooled.release(broken);
    }
  }
}
