/**
 * Vitest global setup: finds (or starts) the Redis and Postgres every test suite uses and hands their
 * URLs to the tests through `project.provide(...)` (read them with `inject(...)` or the helpers in
 * `test/support`).
 *
 * Redis: `REDIS_URL` → a server answering PING on 127.0.0.1:6379 → a private `redis-server` on a free
 * port (stopped at teardown) → error telling what to install.
 * Postgres: `DATABASE_URL` → postgres://postgres@127.0.0.1:5432/test if it answers → embedded PGlite
 * over TCP (see ./pglite-server.ts; stopped at teardown).
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { pingRedis } from '../support/net.js';
import {
  type RedisServerHandle,
  RedisServerNotFoundError,
  startRedisServer,
} from '../support/redis_server.js';
import { type PgliteServer, startPgliteServer } from './pglite-server.js';

/** Where the test Postgres comes from: a real server, or the embedded PGlite fallback. */
export type PostgresKind = 'server' | 'pglite';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Redis URL for tests, e.g. `redis://127.0.0.1:6379`. */
    redisUrl: string;
    /** Postgres connection string for tests (create a schema per suite with `createTestSchema`). */
    databaseUrl: string;
    /** `'pglite'` when no Postgres server was found and the embedded PGlite fallback is used. */
    postgresKind: PostgresKind;
  }
}

const LOCAL_REDIS = { host: '127.0.0.1', port: 6379 };
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

async function postgresAnswers(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Hides a password in a URL before it is logged. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The suite's Redis: REDIS_URL, else the local server on 6379, else a private `redis-server`. */
async function findRedis(): Promise<{ url: string; source: string; server?: RedisServerHandle }> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) return { url: fromEnv, source: 'REDIS_URL' };
  if (await pingRedis(LOCAL_REDIS.host, LOCAL_REDIS.port, 1000)) {
    return { url: `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`, source: 'local server' };
  }
  try {
    const server = await startRedisServer();
    return { url: server.url, source: `private redis-server, pid ${server.pid}`, server };
  } catch (err) {
    if (err instanceof RedisServerNotFoundError) {
      throw new Error(
        'No Redis for the tests: REDIS_URL is not set, nothing answers PING on 127.0.0.1:6379 and ' +
          '`redis-server` is not on PATH. Install Redis (Debian/Ubuntu: `apt-get install redis-server`, ' +
          'macOS: `brew install redis`), start it on 127.0.0.1:6379, or set REDIS_URL=redis://host:port.',
      );
    }
    throw err;
  }
}

/** The suite's Postgres: DATABASE_URL, else the local server's `test` database, else embedded PGlite. */
async function findPostgres(): Promise<{
  url: string;
  kind: PostgresKind;
  source: string;
  server?: PgliteServer;
}> {
  const fromEnv = process.env['DATABASE_URL'];
  if (fromEnv) return { url: fromEnv, kind: 'server', source: 'DATABASE_URL' };
  if (await postgresAnswers(LOCAL_POSTGRES))
    return { url: LOCAL_POSTGRES, kind: 'server', source: 'local server' };
  const server = await startPgliteServer();
  return { url: server.url, kind: 'pglite', source: 'embedded PGlite: no server on 127.0.0.1:5432', server };
}

/**
 * Vitest `globalSetup` entry point.
 *
 * @param project - the test project; receives `redisUrl`, `databaseUrl` and `postgresKind`
 * @returns the teardown function that stops whatever this setup started
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let redisServer: RedisServerHandle | undefined;
  let pgliteServer: PgliteServer | undefined;
  const teardown = async () => {
    await Promise.allSettled([redisServer?.stop(), pgliteServer?.stop()]);
  };

  try {
    const redis = await findRedis();
    redisServer = redis.server;
    const postgres = await findPostgres();
    pgliteServer = postgres.server;
    project.provide('redisUrl', redis.url);
    project.provide('databaseUrl', postgres.url);
    project.provide('postgresKind', postgres.kind);
    console.log(
      `[test] redis: ${redact(redis.url)} (${redis.source}) postgres: ${redact(postgres.url)} (${postgres.source})`,
    );
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
