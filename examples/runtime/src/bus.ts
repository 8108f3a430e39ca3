/**
 * The one place that turns a config into the bus and the shared cache, for the bot and the API
 * alike.
 */
import { createDatabase, type Database } from '@wolaro/db';
import {
  FailoverTransport,
  type Logger,
  type MemoryBus,
  MemoryTransport,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
  type Transport,
} from '@wolaro/sync';
import { PgNotifyTransport } from '@wolaro/sync/pg';
import type { CleanupStack } from './cleanup.js';
import type { SharedConfig } from './env.js';
import { databaseStartupError } from './startup_error.js';

/** The bus of an app, and its Redis leg (for health reports) when there is one. */
export interface BusSetup {
  sync: SyncClient;
  /** The Redis transport when `REDIS_URL` is set (alone or as the first leg of the failover). */
  redis: RedisTransport | undefined;
}

/**
 * Picks the transport:
 * - `REDIS_URL` + a real Postgres (`PG_NOTIFY` not false) → `FailoverTransport([Redis, PgNotify])`:
 *   pushes keep arriving through LISTEN/NOTIFY while Redis is down;
 * - `REDIS_URL` with the embedded database, or `PG_NOTIFY=false` → Redis alone (NOTIFY does not
 *   cross PGlite connections);
 * - no `REDIS_URL` → the in-process bus `bus` (the bot and the API in one process).
 *
 * The client is not connected yet: subscribe first, then `connect()`, so nothing is missed.
 */
export function createBus(
  config: SharedConfig,
  db: Pick<Database, 'kind' | 'pool'>,
  logger: Logger,
  bus?: MemoryBus,
): BusSetup {
  let transport: Transport;
  let redis: RedisTransport | undefined;
  if (config.redisUrl === undefined) {
    transport = new MemoryTransport(bus ? { bus } : {});
  } else {
    redis = new RedisTransport({ redis: config.redisUrl, connectTimeoutMs: config.redisConnectTimeoutMs });
    transport =
      config.pgNotify && db.kind === 'postgres'
        ? new FailoverTransport([redis, new PgNotifyTransport({ pool: db.pool })])
        : redis;
  }
  const sync = new SyncClient({ transport, keyPrefix: config.redisKeyPrefix, logger });
  return { sync, redis };
}

/**
 * The shared cache: Redis with the in-memory fallback (it logs `Redis down, using memory cache`
 * once per outage), or `undefined` without `REDIS_URL`.
 */
export function createSharedCache(config: SharedConfig, logger: Logger): RedisFallbackManager | undefined {
  if (config.redisUrl === undefined) return undefined;
  return new RedisFallbackManager({
    redis: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    healthCheckIntervalMs: config.redisHealthCheckMs,
    logger,
  });
}

/**
 * The app's database, opened (and migrated) from the config and closed with `stack`; a failure
 * is a one-line `StartupError` naming `DATABASE_URL` or the data directory.
 */
export async function openDatabase(
  config: SharedConfig,
  stack: CleanupStack,
  logger: Logger,
  max?: number,
): Promise<Database> {
  try {
    const db = await createDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      ...(max === undefined ? {} : { max }),
      logger,
    });
    return stack.use(db, (d) => d.close());
  } catch (err) {
    throw databaseStartupError(err, config.databaseUrl, config.dataDir);
  }
}
