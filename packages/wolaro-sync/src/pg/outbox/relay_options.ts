import type pg from 'pg';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import type { Logger } from '../../logger.js';

/**
 * Options of `OutboxRelay`.
 *
 * @example
 * ```ts
 * const options: OutboxRelayOptions = { pool, sync, pollIntervalMs: 5000, pruneAfterMs: 24 * 3600_000, logger };
 * ```
 */
export interface OutboxRelayOptions<M extends ChannelMap = Record<never, never>> {
  /** Pool whose `search_path` finds `sync_outbox` (stays yours). The relay borrows one connection per drain. */
  pool: pg.Pool;
  /** The connected client the rows are published through (stays yours). */
  sync: SyncClient<M>;
  /**
   * Rows read per query while draining.
   * @defaultValue 100
   */
  batchSize?: number;
  /**
   * Safety-net poll: how often to look for pending rows without being woken. Wake-ups come from
   * NOTIFY and `wake()`, so this only matters when both are missed.
   * @defaultValue 1000
   */
  pollIntervalMs?: number;
  /**
   * LISTEN on `sync_outbox` on a dedicated connection so commits wake the relay at once. Turn it
   * off on embedded PGlite, where NOTIFY does not cross connections, and call `wake()` instead
   * (or pass the relay to `versionedUpdate`).
   * @defaultValue true
   */
  notify?: boolean;
  /**
   * Published rows older than this are deleted; `0` keeps them forever.
   * @defaultValue 3600000 (1 h)
   */
  pruneAfterMs?: number;
  /**
   * How often to prune; `0` disables the timer (`prune()` still works).
   * @defaultValue 60000
   */
  pruneIntervalMs?: number;
  /**
   * First delay before retrying after a failed publish; doubles on each failure in a row.
   * @defaultValue 200
   */
  retryDelayMs?: number;
  /**
   * Longest delay between two retries.
   * @defaultValue 10000
   */
  maxRetryDelayMs?: number;
  /**
   * Delay before trying again when another publisher (a relay of another process, or a fast path)
   * holds the drain lock.
   * @defaultValue 50
   */
  busyRetryMs?: number;
  /**
   * Longest wait for a pooled connection (a drain) or for the LISTEN connection to open: then the
   * attempt fails and is retried with back-off, so an exhausted pool or an unreachable server never
   * leaves the relay waiting forever. `0` waits as long as the pool does.
   * @defaultValue 5000
   */
  connectTimeoutMs?: number;
  /**
   * Client-side limit of each of the relay's queries: a query without an answer by then fails,
   * its connection is destroyed (releasing the drain lock) and the pass is retried. Keep it above
   * the server's `statement_timeout`, which should normally fire first. `0` turns it off.
   * @defaultValue 10000
   */
  queryTimeoutMs?: number;
  /**
   * A pino-compatible logger.
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Defaults of {@link OutboxRelayOptions}.
 *
 * @example
 * ```ts
 * new OutboxRelay({ pool, sync, pollIntervalMs: DefaultOutboxRelayOptions.pollIntervalMs * 5 });
 * ```
 */
export const DefaultOutboxRelayOptions = {
  batchSize: 100,
  pollIntervalMs: 1000,
  notify: true,
  pruneAfterMs: 3_600_000,
  pruneIntervalMs: 60_000,
  retryDelayMs: 200,
  maxRetryDelayMs: 10_000,
  busyRetryMs: 50,
  connectTimeoutMs: 5000,
  queryTimeoutMs: 10_000,
} as const satisfies Omit<Required<OutboxRelayOptions>, 'pool' | 'sync' | 'logger'>;

/**
 * Counters of an `OutboxRelay` since it was created.
 *
 * @example
 * ```ts
 * const { published, failures, consecutiveFailures, lastError } = relay.stats();
 * ```
 */
export interface OutboxRelayStats {
  /** Between `start()` and `stop()`. */
  running: boolean;
  /** Whether the LISTEN connection is live (always false with `notify: false`). */
  listening: boolean;
  /** Rows this relay published and marked. */
  published: number;
  /** Failed publish attempts (the rows stayed pending). */
  failures: number;
  /** Failed attempts since the last success; non-zero means the relay is backing off. */
  consecutiveFailures: number;
  /** Rows set aside because they can never be published (`failed_at`). */
  deadLettered: number;
  /** Published rows deleted by pruning. */
  pruned: number;
  /** Drain passes that found the lock held by another publisher. */
  lockBusy: number;
  /** Wake-ups by NOTIFY. */
  notifications: number;
  /** Wake-ups by `wake()`. */
  wakes: number;
  /** Wake-ups by the poll timer. */
  polls: number;
  /** Message of the last publish or database error, if any. */
  lastError: string | null;
}
