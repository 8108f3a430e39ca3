import { EventEmitter } from 'eventemitter3';
import { z } from 'zod';
import { InvalidKeyError } from '../errors.js';
import { assertValidPrefix } from '../internal/key_prefix.js';
import {
  checkOptions,
  durationMs,
  keyPrefixSchema,
  loggerSchema,
  positiveNumber,
  redisInputSchema,
  requireRedis,
} from '../internal/options.js';
import { type Logger, silentLogger } from '../logger.js';
import { type DecodedValue, decodeValue, encodeTombstone, encodeValue } from './envelope.js';
import {
  type CacheEntry,
  type CacheSetOptions,
  DefaultRedisFallbackManagerOptions as Defaults,
  type FallbackCacheStats,
  type InvalidateResult,
  type RedisFallbackManagerEvents,
  type RedisFallbackManagerOptions,
} from './fallback_options.js';
import { MemoryFallback } from './memory_fallback.js';
import { RedisLink } from './redis_link.js';
import { runCas, runCasOrGet } from './redis_ops.js';
import { issueWriteBack } from './write_back.js';

const fallbackSchema = z.object({
  redis: redisInputSchema.optional(),
  defaultTtlSeconds: positiveNumber.optional(),
  healthCheckIntervalMs: durationMs.optional(),
  commandTimeoutMs: durationMs.optional(),
  connectTimeoutMs: durationMs.optional(),
  memory: z
    .object({ max: z.number().int().positive().optional(), maxSize: positiveNumber.optional() })
    .optional(),
  ttlJitter: z.number().min(0).max(0.9).optional(),
  keyPrefix: keyPrefixSchema.optional(),
  maxKeyLength: z.number().int().positive().optional(),
  logger: loggerSchema.optional(),
});

/**
 * `RedisFallbackManager`: a string/JSON cache in Redis that keeps working
 * when Redis does not.
 *
 * - Redis first. On a Redis error (connection lost, or no answer within `commandTimeoutMs`) it logs
 *   `Redis down, using memory cache` once and serves from a bounded in-memory LRU with the same TTLs;
 *   later calls do not touch Redis at all until it is back.
 * - A health check (every `healthCheckIntervalMs`, plus the client's `ready` event) notices the
 *   return: it logs `Redis reconnected`, writes back the versioned entries set during the outage with
 *   a compare-and-set (never over a newer version), deletes in Redis every other key touched during
 *   the outage (an unversioned value might be older than what another process wrote), then switches
 *   back to Redis.
 * - `set(key, value, { version })` is a compare-and-set everywhere; `invalidate(key, version)` leaves
 *   a tombstone that keeps slower writers of older versions out.
 *
 * @example
 * ```ts
 * import { RedisFallbackManager, cacheKeys } from '@wolaro/sync';
 *
 * const cache = new RedisFallbackManager({ redis: process.env.REDIS_URL!, logger });
 * await cache.setJSON(cacheKeys.guildConfig('123'), { prefix: '!' }, { version: 7 });
 * const cfg = await cache.getJSON<{ prefix: string }>(cacheKeys.guildConfig('123'));
 * console.log(cache.stats()); // { redisAvailable: true, memoryCacheSize: 0, hits: 1, misses: 0, cacheHitRate: 1 }
 * await cache.close();
 * ```
 */
export class RedisFallbackManager extends EventEmitter<RedisFallbackManagerEvents> {
  readonly #link: RedisLink;
  readonly #memory: MemoryFallback;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #defaultTtlSeconds: number;
  readonly #jitter: number;
  readonly #maxKeyLength: number;
  #hits = 0;
  #misses = 0;

  constructor(options: RedisFallbackManagerOptions) {
    super();
    checkOptions('RedisFallbackManager', fallbackSchema, options, requireRedis(''));
    this.#logger = options.logger ?? silentLogger;
    this.#prefix = assertValidPrefix(options.keyPrefix ?? Defaults.keyPrefix);
    this.#defaultTtlSeconds = positive(
      'defaultTtlSeconds',
      options.defaultTtlSeconds ?? Defaults.defaultTtlSeconds,
    );
    this.#maxKeyLength = positive('maxKeyLength', options.maxKeyLength ?? Defaults.maxKeyLength);
    this.#jitter = Math.min(Math.max(options.ttlJitter ?? Defaults.ttlJitter, 0), 0.9);
    this.#memory = new MemoryFallback(
      positive('memory.max', options.memory?.max ?? Defaults.memory.max),
      options.memory?.maxSize,
    );
    this.#link = new RedisLink({
      redis: options.redis,
      commandTimeoutMs: positive('commandTimeoutMs', options.commandTimeoutMs ?? Defaults.commandTimeoutMs),
      healthCheckIntervalMs: positive(
        'healthCheckIntervalMs',
        options.healthCheckIntervalMs ?? Defaults.healthCheckIntervalMs,
      ),
      connectTimeoutMs: options.connectTimeoutMs ?? Defaults.connectTimeoutMs,
      logger: this.#logger,
      onDown: (error) => this.emit('down', error),
      onBack: (downtimeMs) => this.#writeBack(downtimeMs),
    });
  }

  /** Whether calls go to Redis right now (`false` while serving from memory). */
  get isRedisAvailable(): boolean {
    return this.#link.up;
  }

  /** The prefix in front of every key. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** TTL used when a write does not give one, in seconds. */
  get defaultTtlSeconds(): number {
    return this.#defaultTtlSeconds;
  }

  /**
   * Resolves once the first connection attempt settled (connected, or fell back to memory after
   * `connectTimeoutMs`). Calls wait for it by themselves; this is for start-up code and tests.
   *
   * @example
   * ```ts
   * await cache.ready();
   * ```
   */
  ready(): Promise<void> {
    return this.#link.started;
  }

  /**
   * Reads a string value; `null` when absent, expired or invalidated. Never rejects because Redis is down.
   *
   * @example
   * ```ts
   * const prefix = (await cache.get('guild:prefix:123')) ?? '!';
   * ```
   */
  async get(key: string): Promise<string | null> {
    const data = (await this.#read(this.#key(key)))?.data;
    this.#count(data);
    return data ?? null;
  }

  /**
   * Reads a value with its version and write time.
   *
   * @example
   * ```ts
   * const entry = await cache.getEntry('guild:config:123'); // { value, version: 7, writtenAt: 1730000000000 }
   * ```
   */
  async getEntry(key: string): Promise<CacheEntry | null> {
    const found = await this.#read(this.#key(key));
    this.#count(found?.data);
    return found?.data === undefined
      ? null
      : { value: found.data, version: found.version, writtenAt: found.writtenAt };
  }

  /**
   * Reads and parses a JSON value. A value that is not valid JSON counts as a miss, is deleted, and
   * `null` is returned: a corrupted entry never throws into the caller.
   *
   * @example
   * ```ts
   * const cfg = await cache.getJSON<GuildConfig>(cacheKeys.guildConfig('123'));
   * ```
   */
  async getJSON<T>(key: string): Promise<T | null> {
    return (await this.getJSONEntry<T>(key))?.value ?? null;
  }

  /**
   * {@link RedisFallbackManager.getJSON} with the entry's version and write time.
   *
   * @example
   * ```ts
   * const entry = await cache.getJSONEntry<GuildConfig>(cacheKeys.guildConfig('123'));
   * if (entry && entry.version! >= floor) use(entry.value);
   * ```
   */
  async getJSONEntry<T>(key: string): Promise<CacheEntry<T> | null> {
    const full = this.#key(key);
    const found = await this.#read(full);
    if (found?.data === undefined) {
      this.#misses++;
      return null;
    }
    let value: T;
    try {
      value = JSON.parse(found.data) as T;
    } catch {
      this.#misses++;
      this.#logger.warn({ key: full }, `Corrupted cache value for ${full} (not JSON), deleting it`);
      void this.#delete([full]).catch(() => {});
      return null;
    }
    this.#hits++;
    return { value, version: found.version, writtenAt: found.writtenAt };
  }

  /**
   * Stores a string. With `{ version }` it is a compare-and-set: refused (resolves `false`) when the
   * cache holds a newer version. While Redis is down the value goes to memory: versioned values are
   * written back on recovery, unversioned ones are dropped (and the key deleted in Redis).
   *
   * While Redis is up the command is sent before `set` returns, so Redis runs it before any command
   * sent after it on the same connection. Give the cache the connection your events are published
   * on (`RedisTransport.client`) and a value stored just before a publish is there when the event
   * arrives, without waiting for the store's answer.
   *
   * @param ttl - TTL in seconds, or `{ ttlSeconds, version }`
   * @returns whether the value was stored
   * @example
   * ```ts
   * await cache.set('guild:prefix:123', '!', 600);
   * await cache.set(cacheKeys.guildConfig('123'), json, { version: 8 }); // false if 9 is cached
   * ```
   */
  async set(key: string, value: string, ttl?: number | CacheSetOptions): Promise<boolean> {
    if (typeof value !== 'string') throw new TypeError('RedisFallbackManager.set: value must be a string');
    const full = this.#key(key);
    const { ttlSeconds, version } =
      typeof ttl === 'number' ? { ttlSeconds: ttl, version: undefined } : (ttl ?? {});
    if (version !== undefined && !(Number.isSafeInteger(version) && version >= 0)) {
      throw new RangeError(`version must be a non-negative safe integer, got ${version}`);
    }
    return this.#write(
      full,
      encodeValue(value, version, Date.now()),
      this.#ttlMs(ttlSeconds),
      version,
      false,
    );
  }

  /**
   * `JSON.stringify`s and stores a value, see {@link RedisFallbackManager.set}.
   *
   * @example
   * ```ts
   * await cache.setJSON(cacheKeys.guildConfig('123'), cfg, { version: cfg.version });
   * ```
   */
  setJSON(key: string, value: unknown, ttl?: number | CacheSetOptions): Promise<boolean> {
    const json = JSON.stringify(value);
    if (json === undefined)
      return Promise.reject(new TypeError('RedisFallbackManager.setJSON: value is not JSON'));
    return this.set(key, json, ttl);
  }

  /**
   * Drops a key's value unless it is at least `version`, and keeps out later writes of older
   * versions (a tombstone, for the key's TTL). Use it when an event says "version `version` exists".
   * Resolves whether the tombstone was written: `false` when the cache already held `version` or
   * a newer value (then it is still there to be read).
   *
   * @example
   * ```ts
   * sync.subscribe('config:update', (e) => cache.invalidate(cacheKeys.guildConfig(e.guildId), e.version ?? 0));
   * ```
   */
  async invalidate(key: string, version: number, ttlSeconds?: number): Promise<boolean> {
    const full = this.#key(key);
    return this.#write(full, encodeTombstone(version, Date.now()), this.#ttlMs(ttlSeconds), version, true);
  }

  /**
   * {@link RedisFallbackManager.invalidate} that also reads what it keeps: when the cache already
   * holds `version` or a newer value, that value comes back with the answer, in the same command.
   * A reader that must reload after an event (a tombstone, then a read) makes one round trip
   * instead of two, and none more when a writer stored the new version before announcing it.
   * While Redis is down it works on the in-memory fallback, as every other call does.
   *
   * @example
   * ```ts
   * sync.subscribe('config:update', async (e) => {
   *   const result = await cache.invalidateOrGet(cacheKeys.guildConfig(e.guildId), e.version ?? 0);
   *   const fresh = result.written || !result.entry ? await loadFromDatabase(e.guildId) : JSON.parse(result.entry.value);
   * });
   * ```
   */
  async invalidateOrGet(key: string, version: number, ttlSeconds?: number): Promise<InvalidateResult> {
    const full = this.#key(key);
    const encoded = encodeTombstone(version, Date.now());
    const ttlMs = this.#ttlMs(ttlSeconds);
    if (await this.#link.usable()) {
      try {
        const reply = await runCasOrGet(this.#link.client, this.#link.timed, full, [
          String(version),
          encoded,
          '1',
          String(ttlMs),
        ]);
        return reply === true ? { written: true } : this.#kept(decodeValue(reply));
      } catch (err) {
        if (!this.#link.failed(err)) return { written: false, entry: null };
      }
    }
    this.#memory.markDirty(full);
    if (this.#memory.set(full, encoded, ttlMs, version, true)) return { written: true };
    return this.#kept(this.#memory.get(full));
  }

  /**
   * Deletes keys (in memory too, and again in Redis after an outage).
   *
   * @example
   * ```ts
   * await cache.del(cacheKeys.guildConfig('123'), cacheKeys.guildModule('123', 'welcome'));
   * ```
   */
  async del(...keys: string[]): Promise<void> {
    await this.#delete(keys.map((k) => this.#key(k)));
  }

  /**
   * Counters in the shape of the reference API's `/api/admin/cache/stats`, plus hits and misses.
   *
   * @example
   * ```ts
   * const { redisAvailable, cacheHitRate } = cache.stats();
   * ```
   */
  stats(): FallbackCacheStats {
    const total = this.#hits + this.#misses;
    return {
      redisAvailable: this.isRedisAvailable,
      memoryCacheSize: this.#memory.size,
      hits: this.#hits,
      misses: this.#misses,
      cacheHitRate: total === 0 ? 0 : this.#hits / total,
    };
  }

  /**
   * Stops the health check and closes the Redis connection if the manager created it (a client you
   * passed stays open). Idempotent; later calls reject with `ClosedError`.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => cache.close());
   * ```
   */
  async close(): Promise<void> {
    this.#memory.clear();
    this.removeAllListeners();
    await this.#link.close();
  }

  #key(key: string): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > this.#maxKeyLength) {
      const shown = typeof key === 'string' ? `${key.length} characters` : typeof key;
      throw new InvalidKeyError(`Cache keys must be 1-${this.#maxKeyLength} characters, got ${shown}`);
    }
    return this.#prefix + key;
  }

  #ttlMs(ttlSeconds: number | undefined): number {
    const seconds = ttlSeconds ?? this.#defaultTtlSeconds;
    if (!(seconds > 0 && Number.isFinite(seconds)))
      throw new RangeError(`TTL must be > 0 seconds, got ${seconds}`);
    const ms = Math.round(seconds * 1000);
    return Math.max(1, this.#jitter > 0 ? ms - Math.floor(ms * this.#jitter * Math.random()) : ms);
  }

  #count(data: string | undefined): void {
    if (data === undefined) this.#misses++;
    else this.#hits++;
  }

  /** A value {@link RedisFallbackManager.invalidateOrGet} kept, as an entry (counted as a read). */
  #kept(found: DecodedValue | undefined): InvalidateResult {
    this.#count(found?.data);
    return {
      written: false,
      entry:
        found?.data === undefined
          ? null
          : { value: found.data, version: found.version, writtenAt: found.writtenAt },
    };
  }

  async #read(full: string): Promise<DecodedValue | undefined> {
    if (await this.#link.usable()) {
      try {
        const raw = await this.#link.timed(this.#link.client.get(full));
        return raw === null ? undefined : decodeValue(raw);
      } catch (err) {
        if (!this.#link.failed(err)) return undefined;
      }
    }
    return this.#memory.get(full);
  }

  /**
   * While Redis is up the command is on its connection before this returns (no await comes
   * first), so a command sent after it on the same connection, such as a publish on
   * `RedisTransport.client`, runs after it.
   */
  #write(
    full: string,
    encoded: string,
    ttlMs: number,
    version: number | undefined,
    tomb: boolean,
  ): Promise<boolean> {
    if (this.#link.up) return this.#writeRedis(full, encoded, ttlMs, version, tomb);
    return this.#link
      .usable()
      .then((up) =>
        up
          ? this.#writeRedis(full, encoded, ttlMs, version, tomb)
          : this.#writeMemory(full, encoded, ttlMs, version, tomb),
      );
  }

  async #writeRedis(
    full: string,
    encoded: string,
    ttlMs: number,
    version: number | undefined,
    tomb: boolean,
  ): Promise<boolean> {
    try {
      if (version === undefined) {
        await this.#link.timed(this.#link.client.set(full, encoded, 'PX', ttlMs));
        return true;
      }
      return await runCas(this.#link.client, this.#link.timed, full, [
        String(version),
        encoded,
        tomb ? '1' : '0',
        String(ttlMs),
      ]);
    } catch (err) {
      if (!this.#link.failed(err)) return false;
    }
    return this.#writeMemory(full, encoded, ttlMs, version, tomb);
  }

  #writeMemory(full: string, encoded: string, ttlMs: number, version: number | undefined, tomb: boolean) {
    this.#memory.markDirty(full);
    return this.#memory.set(full, encoded, ttlMs, version, tomb);
  }

  async #delete(fulls: string[]): Promise<void> {
    if (fulls.length === 0) return;
    if (await this.#link.usable()) {
      try {
        if (fulls.length === 1 || !this.#link.client.isCluster)
          await this.#link.timed(this.#link.client.del(...fulls));
        else await Promise.all(fulls.map((k) => this.#link.timed(this.#link.client.del(k))));
        return;
      } catch (err) {
        if (!this.#link.failed(err)) return;
      }
    }
    for (const full of fulls) {
      this.#memory.delete(full);
      this.#memory.markDirty(full);
    }
  }

  /** Reconciles the outage writes (see `issueWriteBack`) once Redis answers again. */
  #writeBack(downtimeMs: number): Promise<Error | undefined> {
    const { keys, untracked } = this.#memory.takeDirty();
    if (untracked > 0) {
      this.#logger.warn(
        { untracked },
        `${untracked} keys written during the outage were not tracked; they expire by TTL`,
      );
    }
    const link = this.#link;
    return issueWriteBack(link.client, link.timed, this.#memory, keys, this.#logger).then(
      ({ failed, error, ...totals }) => {
        if (failed.length > 0) {
          this.#memory.restoreDirty(failed);
          return error;
        }
        if (!link.up) return undefined;
        this.#memory.clear();
        this.#logger.debug({ downtimeMs, ...totals }, 'Redis cache write-back done');
        this.emit('up', { downtimeMs, ...totals });
        return undefined;
      },
    );
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0 && Number.isFinite(value)))
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
