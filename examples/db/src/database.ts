import { type Logger, silentLogger } from '@wolaro/sync';
import pg from 'pg';
import { type EmbeddedPostgres, runningEmbeddedUrl, startEmbeddedPostgres } from './embedded.js';
import { runMigrations } from './migrations.js';

/** Options of {@link createDatabase}: the `DATABASE_URL` / `PGLITE_DATA_DIR` part of the config. */
export interface DatabaseOptions {
  /** A Postgres connection string; absent → embedded PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /**
   * Directory of the embedded database.
   * @defaultValue `.wolaro/pgdata`
   */
  dataDir?: string | undefined;
  /**
   * Pool size for a real Postgres (the embedded database always gets 1: PGlite is a single session).
   * @defaultValue 10
   */
  max?: number | undefined;
  /**
   * Run the migrations (panel tables + the SDK's outbox table) before returning.
   * @defaultValue true
   */
  migrate?: boolean | undefined;
  /**
   * Time limits of every connection (a real Postgres only: the embedded database has none), so a
   * query never holds a pooled connection forever: see {@link DatabaseTimeouts}.
   */
  timeouts?: Partial<DatabaseTimeouts> | undefined;
  /** A pino-compatible logger. */
  logger?: Logger | undefined;
}

/** Time limits of the pool's connections (milliseconds). */
export interface DatabaseTimeouts {
  /** Server-side `statement_timeout`: a statement running longer fails with SQLSTATE 57014; `0`: off. */
  statementTimeoutMs: number;
  /** Server-side `lock_timeout`: a wait for a row lock longer than this fails with SQLSTATE 55P03; `0`: off. */
  lockTimeoutMs: number;
  /** How long a query waits for a pooled connection (pool exhausted, server unreachable). */
  connectTimeoutMs: number;
}

/**
 * Defaults of {@link DatabaseTimeouts}. A client-side query timeout of `statementTimeoutMs + 1000`
 * backs up the server's (a hung server or network answers nothing at all).
 *
 * @example
 * ```ts
 * const db = await createDatabase({ databaseUrl, timeouts: { ...DEFAULT_DATABASE_TIMEOUTS, lockTimeoutMs: 500 } });
 * ```
 */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  statementTimeoutMs: 5000,
  lockTimeoutMs: 2000,
  connectTimeoutMs: 5000,
};

/** How long a health probe waits for its own connection and its `SELECT 1`. */
const PROBE_DEFAULT_MS = 1000;

/** An open database: the pool every query function takes, and how to close it. */
export interface Database {
  readonly pool: pg.Pool;
  /**
   * `postgres`: a real server (LISTEN/NOTIFY works). `pglite`: the embedded database, served by
   * this process or by another one found through its marker file (one connection, no NOTIFY
   * across connections).
   */
  readonly kind: 'postgres' | 'pglite';
  /**
   * Whether the database answers `SELECT 1` within `timeoutMs` (default 1000), on a connection of
   * its own (a real Postgres): health checks keep answering while the main pool is exhausted.
   * Absent on a hand-made `Database`: then use `pool`.
   */
  ping?(timeoutMs?: number): Promise<boolean>;
  /** Ends the pool, then stops the embedded database if this process started it. Idempotent. */
  close(): Promise<void>;
}

/** The pg settings of a pool with time limits (none for the embedded database). */
function poolTimeouts(kind: Database['kind'], t: DatabaseTimeouts): pg.PoolConfig {
  if (kind === 'pglite') return { connectionTimeoutMillis: t.connectTimeoutMs };
  return {
    connectionTimeoutMillis: t.connectTimeoutMs,
    ...(t.statementTimeoutMs > 0
      ? { statement_timeout: t.statementTimeoutMs, query_timeout: t.statementTimeoutMs + 1000 }
      : {}),
    ...(t.lockTimeoutMs > 0 ? { lock_timeout: t.lockTimeoutMs } : {}),
  };
}

/** `ping` of a database: a one-connection pool of its own with short limits (Postgres), or the main pool. */
function createPing(kind: Database['kind'], pool: pg.Pool, url: string, logger: Logger) {
  let probePool: pg.Pool | undefined;
  const probe = (timeoutMs: number) => {
    if (kind === 'pglite') return pool;
    if (!probePool) {
      probePool = new pg.Pool({
        connectionString: url,
        max: 1,
        idleTimeoutMillis: 60_000,
        ...poolTimeouts(kind, {
          statementTimeoutMs: timeoutMs,
          lockTimeoutMs: timeoutMs,
          connectTimeoutMs: timeoutMs,
        }),
      });
      probePool.on('error', (err) => logger.debug({ err }, `Postgres probe connection: ${err.message}`));
    }
    return probePool;
  };
  const ping = async (timeoutMs = PROBE_DEFAULT_MS): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        probe(timeoutMs)
          .query('SELECT 1')
          .then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs + 500);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  return { ping, end: () => probePool?.end().catch(() => {}) };
}

/**
 * Opens the panel database: a `pg.Pool` on `databaseUrl`, or embedded PGlite served to a
 * `pg.Pool` through `PGLiteSocketServer`, with the migrations applied. What the panel API and the
 * bot both start with.
 *
 * @example
 * ```ts
 * import { createDatabase, loadGuildConfig } from '@wolaro/db';
 *
 * const db = await createDatabase({ databaseUrl: process.env.DATABASE_URL });
 * const config = await loadGuildConfig(db.pool, '123456789012345678');
 * await db.close();
 * ```
 */
export async function createDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const logger = options.logger ?? silentLogger;
  let embedded: EmbeddedPostgres | undefined;
  let url = options.databaseUrl;
  let kind: Database['kind'] = 'postgres';
  if (url === undefined) {
    kind = 'pglite';
    const dataDir = options.dataDir ?? '.wolaro/pgdata';
    url = runningEmbeddedUrl(dataDir);
    if (url === undefined) {
      embedded = await startEmbeddedPostgres(dataDir, logger);
      url = embedded.url;
    } else {
      logger.info({ url }, 'Using the embedded Postgres served by another process');
    }
  }
  const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts };
  const pool = new pg.Pool({
    connectionString: url,
    max: kind === 'pglite' ? 1 : (options.max ?? 10),
    ...poolTimeouts(kind, timeouts),
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (err) => logger.warn({ err }, `Postgres pool: ${err.message}`));
  // pg's pool listens only on idle clients. A checked-out client whose connection dies emits
  // `error` too; with nobody listening that crashes the process. Its running query rejects
  // anyway, and the pool destroys the dead connection on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.debug({ err }, `Postgres connection lost: ${err.message}`));
  });
  const probe = createPing(kind, pool, url, logger);
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await probe.end();
      await pool.end().catch(() => {});
      await embedded?.stop();
    })();
    return closed;
  };
  if (options.migrate ?? true) {
    try {
      await runMigrations(pool, logger);
    } catch (err) {
      await close();
      throw err;
    }
  }
  return { pool, kind, ping: probe.ping, close };
}
