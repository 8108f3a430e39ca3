import type { Database } from '@wolaro/panel-api/db';
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
import type { BotConfig } from './config.js';
import type { BotLogger } from './logger.js';

/**
 * The bus transport for a config:
 * - `REDIS_URL` + a real Postgres (`PG_NOTIFY` not false) → `FailoverTransport([Redis, PgNotify])`:
 *   pushes keep arriving through LISTEN/NOTIFY while Redis is down;
 * - `REDIS_URL` alone (or with the embedded database) → Redis;
 * - no `REDIS_URL` → the in-process bus (the one-process mode only).
 */
export function createTransport(config: BotConfig, db: Database, bus: MemoryBus | undefined): Transport {
  if (config.redisUrl === undefined) return new MemoryTransport(bus ? { bus } : {});
  const redis = new RedisTransport({ redis: config.redisUrl });
  if (!config.pgNotify || db.kind !== 'postgres') return redis;
  return new FailoverTransport([redis, new PgNotifyTransport({ pool: db.pool })]);
}

/** The bot's `SyncClient`; it logs `Redis Pub/Sub initialized` once its subscriptions are live. */
export function createSyncClient(
  config: BotConfig,
  db: Database,
  bus: MemoryBus | undefined,
  logger: BotLogger,
) {
  return new SyncClient({
    transport: createTransport(config, db, bus),
    keyPrefix: config.redisKeyPrefix,
    logger: logger.child({ component: 'sync' }),
  });
}

/**
 * The L2 under the guild config cache: Redis with the in-memory fallback (logs
 * `Redis down, using memory cache` once per outage), or none without `REDIS_URL` (L1 → database).
 */
export function createCache(config: BotConfig, logger: BotLogger): RedisFallbackManager | undefined {
  if (config.redisUrl === undefined) return undefined;
  return new RedisFallbackManager({
    redis: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    healthCheckIntervalMs: config.redisHealthCheckMs,
    logger: logger.child({ component: 'cache' }),
  });
}
