import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { InvalidKeyError, RedisFallbackManager } from '../../src/index.js';
import { defer, manager, privateRedis, rawRedis, useCleanup } from './helpers.js';

useCleanup();

// RedisFallbackManager's public contract around readable errors, miss counting, corrupted values,
// command errors (not outages) and deletes/untracked keys across an outage.

describe('RedisFallbackManager contract', () => {
  it('names the missing redis option and the accepted inputs', () => {
    expect(() => new RedisFallbackManager({} as never)).toThrow(
      /redis: is required: give a Redis URL, ioredis options or an ioredis client(\n|$)/,
    );
  });

  it('exposes the default TTL and a ready() promise', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('c4m') });
    expect(cache.defaultTtlSeconds).toBe(3600);
    await expect(cache.ready()).resolves.toBeUndefined();
    const other = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('c4m'), defaultTtlSeconds: 42 });
    expect(other.defaultTtlSeconds).toBe(42);
    expect(other.stats().cacheHitRate).toBe(0);
  });

  it('rejects bad keys, values, versions and TTLs with readable errors', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('c4m'), maxKeyLength: 5 });
    await expect(cache.get('')).rejects.toThrow(
      new InvalidKeyError('Cache keys must be 1-5 characters, got 0 characters'),
    );
    await expect(cache.get('abcdef')).rejects.toThrow('Cache keys must be 1-5 characters, got 6 characters');
    await expect(cache.get(7 as never)).rejects.toThrow('Cache keys must be 1-5 characters, got number');
    await expect(cache.set('k', 5 as never)).rejects.toThrow(
      new TypeError('RedisFallbackManager.set: value must be a string'),
    );
    await expect(cache.setJSON('k', undefined)).rejects.toThrow(
      new TypeError('RedisFallbackManager.setJSON: value is not JSON'),
    );
    await expect(cache.set('k', 'v', { version: -1 })).rejects.toThrow(
      new RangeError('version must be a non-negative safe integer, got -1'),
    );
    await expect(cache.set('k', 'v', 0)).rejects.toThrow(new RangeError('TTL must be > 0 seconds, got 0'));
    expect(await cache.get('k')).toBeNull();
  });

  it('counts getEntry and getJSONEntry misses (absent and invalidated keys) without warnings', async () => {
    const logger = captureLogger();
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('c4m'), logger });
    expect(await cache.getEntry('absent')).toBeNull();
    expect(await cache.invalidate('t', 3)).toBe(true);
    expect(await cache.getEntry('t')).toBeNull();
    expect(await cache.getJSONEntry('absent')).toBeNull();
    expect(await cache.getJSONEntry('t')).toBeNull();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 4, cacheHitRate: 0 });
    await cache.set('v', '{"a":1}', { version: 4 });
    expect(await cache.getEntry('v')).toMatchObject({ value: '{"a":1}', version: 4 });
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 4 });
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([]);
  });

  it('warns with the key about a corrupted JSON value, counts a miss and deletes it', async () => {
    const keyPrefix = uniquePrefix('c4m');
    const logger = captureLogger();
    const cache = await manager({ redis: redisUrl(), keyPrefix, logger });
    const raw = rawRedis();
    const full = `${keyPrefix}bad`;
    await raw.set(full, 'not json', 'PX', 60_000);
    expect(await cache.getJSONEntry('bad')).toBeNull();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 });
    const warns = logger.entries.filter((e) => e.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toBe(`Corrupted cache value for ${full} (not JSON), deleting it`);
    expect(warns[0]!.obj).toEqual({ key: full });
    await waitFor(async () => (await raw.exists(full)) === 0);
  });

  it('answers false (and stays on Redis) when a versioned write hits a command error', async () => {
    const keyPrefix = uniquePrefix('c4m');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    const raw = rawRedis();
    await raw.rpush(`${keyPrefix}list`, 'x');
    await raw.pexpire(`${keyPrefix}list`, 60_000);
    expect(await cache.set('list', 'v', { version: 1 })).toBe(false);
    expect(cache.isRedisAvailable).toBe(true);
    expect(await raw.type(`${keyPrefix}list`)).toBe('list');
  });

  it('deletes in memory and again in Redis on recovery when a delete times out', async () => {
    const server = await privateRedis();
    const cache = await manager({ redis: server.url, commandTimeoutMs: 300, healthCheckIntervalMs: 100 });
    const raw = rawRedis(server.url);
    expect(await cache.set('k', 'v', 600)).toBe(true);
    await server.pause();
    defer(() => (server.paused ? server.resume() : undefined));
    await cache.del('k');
    expect(cache.isRedisAvailable).toBe(false);
    expect(await cache.get('k')).toBeNull();
    const up = new Promise<{ dropped: number }>((resolve) => cache.once('up', resolve));
    await server.resume();
    expect((await up).dropped).toBe(1);
    expect(await raw.exists('k')).toBe(0);
  });
});
