import { type Logger, silentLogger } from '@wolaro/sync';
import type pg from 'pg';
import type { Queryable } from './types.js';

/** How much history is kept (see {@link RetentionJob}). */
export interface RetentionOptions {
  /**
   * Revisions kept per guild: the newest `revisionsKept` versions; older ones are deleted by the
   * write that goes past the limit (in its own statement, under the lock it already holds) and by
   * the job. `0` keeps every revision.
   * @defaultValue 100
   */
  revisionsKept: number;
  /**
   * Revisions older than this are deleted by the job, except each guild's current one; `0` turns
   * the age limit off (only the count applies).
   * @defaultValue 0
   */
  revisionMaxAgeMs: number;
  /**
   * Command executions (`audit_log`) older than this are deleted by the job; `0` keeps them.
   * @defaultValue 2592000000 (30 days)
   */
  auditMaxAgeMs: number;
  /**
   * How often the job runs.
   * @defaultValue 600000 (10 minutes)
   */
  intervalMs: number;
  /**
   * Rows deleted per statement: each batch is its own short transaction that skips locked rows,
   * so pruning never holds a lock a write waits for.
   * @defaultValue 1000
   */
  batchSize: number;
}

/**
 * Defaults of {@link RetentionOptions}.
 *
 * @example
 * ```ts
 * const job = new RetentionJob(pool, { ...DEFAULT_RETENTION, auditMaxAgeMs: 7 * 86_400_000 });
 * ```
 */
export const DEFAULT_RETENTION: RetentionOptions = {
  revisionsKept: 100,
  revisionMaxAgeMs: 0,
  auditMaxAgeMs: 30 * 86_400_000,
  intervalMs: 600_000,
  batchSize: 1000,
};

/** What one {@link RetentionJob.runOnce} deleted; `skipped` when another process was running it. */
export interface RetentionResult {
  skipped: boolean;
  revisions: number;
  audit: number;
}

/** One runner across every process on the database: a session advisory lock ("WPAN", schema:retention). */
const TRY_LOCK_SQL = `SELECT pg_try_advisory_lock(${0x5750414e}, hashtext(current_schema() || ':retention')) AS locked`;
const UNLOCK_SQL = `SELECT pg_advisory_unlock(${0x5750414e}, hashtext(current_schema() || ':retention'))`;

const PRUNE_AUDIT_SQL = `DELETE FROM audit_log WHERE id IN (
  SELECT id FROM audit_log WHERE created_at < now() - $1::double precision * interval '1 millisecond'
   ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const PRUNE_REVISIONS_BY_COUNT_SQL = `DELETE FROM config_revisions WHERE id IN (
  SELECT r.id FROM config_revisions r JOIN guilds g ON g.guild_id = r.guild_id
   WHERE r.version <= g.version - $1::bigint
   LIMIT $2 FOR UPDATE OF r SKIP LOCKED)`;

const PRUNE_REVISIONS_BY_AGE_SQL = `DELETE FROM config_revisions WHERE id IN (
  SELECT r.id FROM config_revisions r JOIN guilds g ON g.guild_id = r.guild_id
   WHERE r.created_at < now() - $1::double precision * interval '1 millisecond' AND r.version < g.version
   LIMIT $2 FOR UPDATE OF r SKIP LOCKED)`;

/** Runs one batched DELETE until a batch comes back short; the total deleted. */
async function deleteInBatches(db: Queryable, text: string, arg: number, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query(text, [arg, batchSize]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return total;
  }
}

/**
 * Deletes the command executions older than `maxAgeMs`, `batchSize` rows per statement (locked
 * rows are skipped). Resolves with how many.
 *
 * @example
 * ```ts
 * await pruneAuditLog(pool, 30 * 86_400_000);
 * ```
 */
export function pruneAuditLog(db: Queryable, maxAgeMs: number, batchSize = DEFAULT_RETENTION.batchSize) {
  return maxAgeMs > 0 ? deleteInBatches(db, PRUNE_AUDIT_SQL, maxAgeMs, batchSize) : Promise.resolve(0);
}

/**
 * Deletes the revisions past each guild's newest `options.revisionsKept` versions and, with
 * `options.revisionMaxAgeMs`, those older than that (never a guild's current one). Resolves with
 * how many.
 *
 * @example
 * ```ts
 * await pruneRevisions(pool, { revisionsKept: 100, revisionMaxAgeMs: 0 });
 * ```
 */
export async function pruneRevisions(
  db: Queryable,
  options: Pick<RetentionOptions, 'revisionsKept' | 'revisionMaxAgeMs'> & { batchSize?: number },
): Promise<number> {
  const batch = options.batchSize ?? DEFAULT_RETENTION.batchSize;
  let total = 0;
  if (options.revisionsKept > 0) {
    total += await deleteInBatches(db, PRUNE_REVISIONS_BY_COUNT_SQL, options.revisionsKept, batch);
  }
  if (options.revisionMaxAgeMs > 0) {
    total += await deleteInBatches(db, PRUNE_REVISIONS_BY_AGE_SQL, options.revisionMaxAgeMs, batch);
  }
  return total;
}

/**
 * The periodic clean-up of history: old command executions and revisions past the limits of
 * {@link RetentionOptions}. Off the write path: it deletes in small batches that skip locked rows,
 * so it never makes a write wait; several processes may run it, one at a time does the work (an
 * advisory lock), the others skip that round.
 *
 * @example
 * ```ts
 * const job = new RetentionJob(pool, DEFAULT_RETENTION, logger);
 * job.start();
 * // on shutdown:
 * await job.stop();
 * ```
 */
export class RetentionJob {
  readonly #pool: pg.Pool;
  readonly #options: RetentionOptions;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RetentionResult> | undefined;

  constructor(pool: pg.Pool, options: Partial<RetentionOptions> = {}, logger: Logger = silentLogger) {
    this.#pool = pool;
    this.#options = { ...DEFAULT_RETENTION, ...options };
    this.#logger = logger;
  }

  /** Runs every `intervalMs` (the first run after one interval). Idempotent. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.#logger.warn({ err }, 'History retention failed'));
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  /** One round now (unless one is in flight here, or another process holds the lock). */
  runOnce(): Promise<RetentionResult> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<RetentionResult> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK_SQL);
      if (!rows[0]?.locked) return { skipped: true, revisions: 0, audit: 0 };
      try {
        const o = this.#options;
        const audit = await pruneAuditLog(client, o.auditMaxAgeMs, o.batchSize);
        const revisions = await pruneRevisions(client, o);
        if (audit + revisions > 0) {
          this.#logger.info(
            { audit, revisions },
            `History retention deleted ${audit} audit rows and ${revisions} revisions`,
          );
        }
        return { skipped: false, revisions, audit };
      } finally {
        await client.query(UNLOCK_SQL).catch((err: unknown) => {
          broken = err instanceof Error ? err : new Error(String(err));
        });
      }
    } catch (err) {
      broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
