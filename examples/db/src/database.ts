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
  /** A pino-compatible logger. */
  logger?: Logger | undefined;
}

/** An open database: the pool every query function takes, and how to close it. */
export interface Database {
  readonly pool: pg.Pool;
  /**
   * `postgres`: a real server (LISTEN/NOTIFY works). `pglite`: the embedded database, served by
   * this process or by another one found through its marker file (one connection, no NOTIFY
   * across connections).
   */
  readonly kind: 'postgres' | 'pglite';
  /** Ends the pool, then stops the embedded database if this process started it. Idempotent. */
  close(): Promise<void>;
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
  const pool = new pg.Pool({
    connectionString: url,
    max: kind === 'pglite' ? 1 : (options.max ?? 10),
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (err) => logger.warn({ err }, `Postgres pool: ${err.message}`));
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
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
  return { pool, kind, close };
}
