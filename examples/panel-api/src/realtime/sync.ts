import {
  FailoverTransport,
  type MemoryBus,
  MemoryTransport,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
  type Transport,
} from '@wolaro/sync';
import { PgNotifyTransport } from '@wolaro/sync/pg';
import type { JsonCache } from '../cache/json_cache.js';
import { MemoryJsonCache } from '../cache/json_cache.js';
import type { PanelApiConfig } from '../config.js';
import type { Database } from '../db/index.js';
import type { AppLogger } from '../logger.js';

/** The bus the API publishes and listens on, and the Redis leg to report in `/api/health`. */
export interface SyncSetup {
  sync: SyncClient;
  /** The Redis transport when `REDIS_URL` is set (alone or as the first leg of the failover). */
  redis: RedisTransport | undefined;
}

/**
 * Picks the transport from the config:
 * - `REDIS_URL` + a real `DATABASE_URL` → `FailoverTransport([Redis, PgNotify])`: pushes continue
 *   through Postgres LISTEN/NOTIFY while Redis is down;
 * - `REDIS_URL` with the embedded database → Redis alone (NOTIFY does not cross PGlite connections);
 * - no `REDIS_URL` → the in-process `MemoryTransport` (bot and API in one process).
 */
export async function createSync(
  config: PanelApiConfig,
  db: Database,
  logger: AppLogger,
  bus: MemoryBus | undefined,
): Promise<SyncSetup> {
  let transport: Transport;
  let redis: RedisTransport | undefined;
  if (config.redisUrl === undefined) {
    transport = new MemoryTransport(bus ? { bus } : {});
  } else {
    redis = new RedisTransport({ redis: config.redisUrl });
    transport =
      db.kind === 'postgres'
        ? new FailoverTransport([redis, new PgNotifyTransport({ pool: db.pool })])
        : redis;
  }
  const sync = new SyncClient({
    transport,
    keyPrefix: config.redisKeyPrefix,
    logger: logger.child({ component: 'sync' }),
  });
  try {
    await sync.connect();
  } catch (err) {
    await sync.close().catch(() => {});
    throw err;
  }
  return { sync, redis };
}

/** `RedisFallbackManager` with Redis, the in-process cache without. */
export function createCache(config: PanelApiConfig, logger: AppLogger): JsonCache {
  if (config.redisUrl === undefined) return new MemoryJsonCache();
  return new RedisFallbackManager({
    redis: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    logger: logger.child({ component: 'cache' }),
  });
}
