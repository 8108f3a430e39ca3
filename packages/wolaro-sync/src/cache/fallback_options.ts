import type { Logger } from '../logger.js';
import type { RedisInput } from '../transports/redis.js';

/**
 * Bounds of the in-memory fallback cache of {@link RedisFallbackManager}.
 *
 * @example
 * ```ts
 * const memory: MemoryFallbackOptions = { max: 10_000, maxSize: 50 * 1024 * 1024 };
 * ```
 */
export interface MemoryFallbackOptions {
  /**
   * Most entries kept while Redis is down (least recently used are dropped first).
   * @defaultValue 10000
   */
  max?: number;
  /** Most bytes (UTF-16 length of key + stored value) kept while Redis is down; unbounded if absent. */
  maxSize?: number;
}

/**
 * Options of {@link RedisFallbackManager}.
 *
 * @example
 * ```ts
 * const options: RedisFallbackManagerOptions = {
 *   redis: process.env.REDIS_URL!,
 *   healthCheckIntervalMs: 10_000,
 *   memory: { max: 10_000 },
 *   logger: pino(),
 * };
 * ```
 */
export interface RedisFallbackManagerOptions {
  /**
   * A Redis URL, ioredis options, or an ioredis `Redis`/`Cluster`. A client you pass stays yours
   * (never closed); give it `enableOfflineQueue: false` and a `commandTimeout` for the fastest
   * failover, otherwise the manager times calls out itself.
   */
  redis: RedisInput;
  /**
   * TTL of an entry when `set` is not given one, in seconds (1 hour).
   * @defaultValue 3600
   */
  defaultTtlSeconds?: number;
  /**
   * How often Redis is pinged (to notice an outage with no traffic, and the end of an outage).
   * @defaultValue 10000
   */
  healthCheckIntervalMs?: number;
  /**
   * Per-call Redis timeout: the longest a call waits on a hung Redis before it is answered from memory.
   * @defaultValue 50
   */
  commandTimeoutMs?: number;
  /**
   * How long calls made right after construction wait for the first connection before falling
   * back to memory. If Redis is not there by then, `'down'` fires with a `RedisUnavailableError`
   * (`E_REDIS_UNAVAILABLE`, naming `host:port`, with the connection error as `cause`) and calls are
   * served from memory until it comes.
   * @defaultValue 2000
   */
  connectTimeoutMs?: number;
  /** Bounds of the in-memory fallback. */
  memory?: MemoryFallbackOptions;
  /**
   * Random fraction taken off each TTL (0.1 → between 90 % and 100 % of it), so entries written
   * together do not all expire together.
   * @defaultValue 0
   */
  ttlJitter?: number;
  /**
   * Prefix put in front of every key, in Redis and in memory (e.g. `prod:`).
   * @defaultValue `''`
   */
  keyPrefix?: string;
  /**
   * Longest key accepted (after the prefix); longer or empty keys are refused with `InvalidKeyError`.
   * @defaultValue 1024
   */
  maxKeyLength?: number;
  /**
   * A pino-compatible logger. Logs `Redis down, using memory cache` (warn, once per outage) and
   * `Redis reconnected` (info).
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Defaults of {@link RedisFallbackManagerOptions}.
 *
 * @example
 * ```ts
 * new RedisFallbackManager({ redis, healthCheckIntervalMs: DefaultRedisFallbackManagerOptions.healthCheckIntervalMs / 2 });
 * ```
 */
export const DefaultRedisFallbackManagerOptions = {
  defaultTtlSeconds: 3600,
  healthCheckIntervalMs: 10_000,
  commandTimeoutMs: 50,
  connectTimeoutMs: 2000,
  memory: { max: 10_000 },
  ttlJitter: 0,
  keyPrefix: '',
  maxKeyLength: 1024,
} as const satisfies Required<Omit<RedisFallbackManagerOptions, 'redis' | 'logger'>>;

/**
 * Per-write options of {@link RedisFallbackManager.set}.
 *
 * @example
 * ```ts
 * await cache.setJSON('guild:config:123', cfg, { version: cfg.version, ttlSeconds: 600 });
 * ```
 */
export interface CacheSetOptions {
  /**
   * TTL in seconds.
   * @defaultValue the manager's `defaultTtlSeconds`
   */
  ttlSeconds?: number;
  /**
   * Version of the value (e.g. the guild's monotonic version). A versioned write is a
   * compare-and-set: it never replaces a value of a newer version, in Redis or in memory, and it
   * is the only kind of write that survives a Redis outage (written back on recovery).
   */
  version?: number;
}

/**
 * What {@link RedisFallbackManager.invalidateOrGet} did: it wrote its tombstone (`written: true`),
 * or the cache already held that version or a newer one and kept it (`written: false`). The kept
 * `entry` is that value, read by the same command; `null` when what is kept is another tombstone
 * or the write failed for a reason other than an outage (read the source of truth then).
 *
 * @example
 * ```ts
 * const result: InvalidateResult = await cache.invalidateOrGet(cacheKeys.guildConfig('123'), 8);
 * if (!result.written && result.entry) use(JSON.parse(result.entry.value));
 * ```
 */
export type InvalidateResult = { written: true } | { written: false; entry: CacheEntry | null };

/**
 * A value read with its metadata, see {@link RedisFallbackManager.getEntry}.
 *
 * @example
 * ```ts
 * const entry = await cache.getEntry('guild:config:123');
 * if (entry && (entry.version ?? 0) >= minVersion) use(entry.value);
 * ```
 */
export interface CacheEntry<T = string> {
  /** The value. */
  value: T;
  /** The version it was written with, `undefined` for an unversioned write. */
  version: number | undefined;
  /** When a versioned value was written (ms since the epoch, writer's clock). */
  writtenAt: number | undefined;
}

/**
 * Counters of {@link RedisFallbackManager}: the shape of the reference API's `/api/admin/cache/stats`, plus hits and misses.
 *
 * @example
 * ```ts
 * app.get('/api/admin/cache/stats', (_req, res) => res.json(cache.stats()));
 * // { redisAvailable: true, memoryCacheSize: 0, hits: 870, misses: 130, cacheHitRate: 0.87 }
 * ```
 */
export interface FallbackCacheStats {
  /** Whether calls go to Redis right now. */
  redisAvailable: boolean;
  /** Entries held in memory (written while Redis was down; 0 when it is up). */
  memoryCacheSize: number;
  /** Reads that found a value. */
  hits: number;
  /** Reads that found nothing (or a corrupted value). */
  misses: number;
  /** `hits / (hits + misses)`, 0 before the first read. */
  cacheHitRate: number;
}

/**
 * Events of {@link RedisFallbackManager}.
 *
 * @example
 * ```ts
 * cache.on('down', (err) => metrics.redisUp.set(0));
 * cache.on('up', ({ downtimeMs, written, skipped, dropped }) => metrics.redisUp.set(1));
 * ```
 */
export interface RedisFallbackManagerEvents {
  /** Redis stopped answering; calls are served from memory. */
  down: (error: Error) => void;
  /**
   * Redis answers again and the outage writes were reconciled: `written` versioned entries were
   * written back (compare-and-set), `skipped` were not because Redis already held a newer version,
   * `dropped` keys (unversioned, deleted or evicted during the outage) were deleted in Redis.
   */
  up: (info: { downtimeMs: number; written: number; skipped: number; dropped: number }) => void;
}
