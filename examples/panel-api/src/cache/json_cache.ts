import type { FallbackCacheStats } from '@wolaro/sync';
import { LRUCache } from 'lru-cache';

/**
 * What the API caches through: `RedisFallbackManager` with Redis, {@link MemoryJsonCache} without.
 * Both give the `/api/admin/cache/stats` shape.
 */
export interface JsonCache {
  readonly isRedisAvailable: boolean;
  getJSON<T>(key: string): Promise<T | null>;
  setJSON(key: string, value: unknown, ttlSeconds?: number): Promise<unknown>;
  del(...keys: string[]): Promise<void>;
  stats(): FallbackCacheStats;
  close(): Promise<void>;
}

/**
 * The cache of the embedded mode (no `REDIS_URL`): a bounded in-process LRU with TTLs, reporting
 * `redisAvailable: false`.
 */
export class MemoryJsonCache implements JsonCache {
  readonly #lru: LRUCache<string, { json: string }>;
  readonly #defaultTtlMs: number;
  #hits = 0;
  #misses = 0;

  constructor(options: { max?: number; defaultTtlSeconds?: number } = {}) {
    this.#lru = new LRUCache({ max: options.max ?? 10_000 });
    this.#defaultTtlMs = (options.defaultTtlSeconds ?? 3600) * 1000;
  }

  get isRedisAvailable(): boolean {
    return false;
  }

  async getJSON<T>(key: string): Promise<T | null> {
    const entry = this.#lru.get(key);
    if (entry === undefined) {
      this.#misses++;
      return null;
    }
    this.#hits++;
    return JSON.parse(entry.json) as T;
  }

  async setJSON(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    this.#lru.set(
      key,
      { json: JSON.stringify(value) },
      { ttl: ttlSeconds ? ttlSeconds * 1000 : this.#defaultTtlMs },
    );
    return true;
  }

  async del(...keys: string[]): Promise<void> {
    for (const key of keys) this.#lru.delete(key);
  }

  stats(): FallbackCacheStats {
    const reads = this.#hits + this.#misses;
    return {
      redisAvailable: false,
      memoryCacheSize: this.#lru.size,
      hits: this.#hits,
      misses: this.#misses,
      cacheHitRate: reads === 0 ? 0 : this.#hits / reads,
    };
  }

  async close(): Promise<void> {
    this.#lru.clear();
  }
}
