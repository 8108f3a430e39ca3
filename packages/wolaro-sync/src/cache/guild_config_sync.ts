import { z } from 'zod';
import { SyncClient } from '../client/sync_client.js';
import {
  checkOptions,
  durationMs,
  functionSchema,
  keyPrefixSchema,
  loggerSchema,
  REDIS_INPUT,
  redisInputSchema,
  requireRedis,
} from '../internal/options.js';
import type { Logger } from '../logger.js';
import type { RedisInput } from '../transports/redis.js';
import { RedisFallbackManager } from './fallback.js';
import { GuildConfigCache } from './guild_config_cache.js';
import type { GuildConfigL1Options, GuildConfigLoader, GuildVersionsLoader } from './guild_config_options.js';

/**
 * Options of {@link createGuildConfigSync}: one connection config for the three pieces.
 *
 * @example
 * ```ts
 * const options: GuildConfigSyncOptions = {
 *   redis: 'redis://127.0.0.1:6379',
 *   keyPrefix: 'prod:',
 *   load: async () => ({ settings: { prefix: '!' }, modules: {}, version: 1 }),
 * };
 * ```
 */
export interface GuildConfigSyncOptions {
  /**
   * The Redis of the bus and the L2 cache (a URL, ioredis options or client; a client stays yours).
   * `false`: the in-process bus and no L2 (one-process deployments, tests).
   */
  redis: RedisInput | false;
  /** Prefix of every channel and cache key, given once for the bus and the cache. @defaultValue `''` */
  keyPrefix?: string;
  /** Loads a guild from the database (see `GuildConfigCacheOptions.load`). */
  load: GuildConfigLoader;
  /** Current versions of many guilds, for cheap resyncs (see `GuildConfigCacheOptions.loadVersions`). */
  loadVersions?: GuildVersionsLoader;
  /** How long `createGuildConfigSync` waits for Redis before rejecting. @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Bounds of the in-process cache. */
  l1?: GuildConfigL1Options;
  /** A pino-compatible logger, shared by the three pieces. @defaultValue silent */
  logger?: Logger;
}

/**
 * What {@link createGuildConfigSync} wires: the bus, the L2 cache (none with `redis: false`) and
 * the guild config cache, with one `close()` for all three.
 *
 * @example
 * ```ts
 * const { configs, sync, close }: GuildConfigSync = await createGuildConfigSync({ redis: false, load: async () => null });
 * ```
 */
export interface GuildConfigSync {
  /** The read-through guild config cache, started and listening. */
  readonly configs: GuildConfigCache;
  /** The connected bus: publish with it (`sync.publishConfigUpdate({ ... })`). */
  readonly sync: SyncClient;
  /** The L2 cache, `undefined` with `redis: false`. */
  readonly cache: RedisFallbackManager | undefined;
  /** Stops the cache and closes the bus and the L2 (a Redis client you passed stays open). Idempotent. */
  close(): Promise<void>;
}

const schema = z.object({
  redis: z
    .custom<unknown>((v) => v === false || redisInputSchema.safeParse(v).success, REDIS_INPUT)
    .optional(),
  keyPrefix: keyPrefixSchema.optional(),
  load: functionSchema('guildId => Promise<GuildConfig | null>'),
  loadVersions: functionSchema('guildIds => Promise<Map<guildId, version>>').optional(),
  connectTimeoutMs: durationMs.optional(),
  l1: z.object({ max: z.number().int().positive().optional(), ttlMs: durationMs.optional() }).optional(),
  logger: loggerSchema.optional(),
});

/**
 * The common case in one call: a `SyncClient`, a `RedisFallbackManager` and a `GuildConfigCache`
 * on one Redis and one `keyPrefix`, wired in the right order (the cache listens before the bus
 * connects, so no event is missed). Resolves once the bus is connected; rejects with a
 * `RedisUnavailableError` (everything closed) when Redis does not answer within `connectTimeoutMs`.
 * The pieces stay available for anything finer.
 *
 * @example
 * ```ts
 * import { createGuildConfigSync } from '@wolaro/sync';
 *
 * const guilds = await createGuildConfigSync({
 *   redis: 'redis://127.0.0.1:6379',
 *   keyPrefix: 'prod:',
 *   load: async (guildId) => ({ settings: { prefix: '!' }, modules: {}, version: 1 }),
 * });
 * const cfg = await guilds.configs.get('123');
 * await guilds.sync.publishConfigUpdate({ guildId: '123', settings: { prefix: '?' }, version: 2 });
 * await guilds.close();
 * ```
 */
export async function createGuildConfigSync(options: GuildConfigSyncOptions): Promise<GuildConfigSync> {
  checkOptions('createGuildConfigSync', schema, options, requireRedis(', or `false` for the in-process bus'));
  const { redis, keyPrefix = '', logger } = options;
  const common = logger ? { keyPrefix, logger } : { keyPrefix };
  const timeout =
    options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs };
  const sync =
    redis === false
      ? new SyncClient({ ...common, transport: 'memory' })
      : new SyncClient({ ...common, redis, ...timeout });
  const cache = redis === false ? undefined : new RedisFallbackManager({ ...common, redis, ...timeout });
  const configs = new GuildConfigCache({
    sync,
    load: options.load,
    ...(cache ? { cache } : {}),
    ...(options.loadVersions ? { loadVersions: options.loadVersions } : {}),
    ...(options.l1 ? { l1: options.l1 } : {}),
    ...(logger ? { logger } : {}),
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await configs.close();
      await Promise.all([sync.close(), cache?.close()]);
    })();
    return closed;
  };
  try {
    await configs.start();
    await sync.connect();
  } catch (err) {
    await close();
    throw err;
  }
  return { configs, sync, cache, close };
}
