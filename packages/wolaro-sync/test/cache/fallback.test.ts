import { redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { cacheKeys, InvalidKeyError } from '../../src/index.js';
import { defer, manager, privateRedis, rawRedis, useCleanup } from './helpers.js';

useCleanup();

describe('RedisFallbackManager with Redis up', () => {
  it('reads and writes strings and JSON in Redis under its prefix, and counts hits and misses', async () => {
    const keyPrefix = uniquePrefix('fb');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    const raw = rawRedis();
    expect(await cache.get('a')).toBeNull();
    expect(await cache.set('a', 'hello')).toBe(true);
    expect(await cache.get('a')).toBe('hello');
    expect(await raw.get(`${keyPrefix}a`)).toBe('hello'); // unversioned values are stored as is
    await cache.setJSON(cacheKeys.guildConfig('123'), { prefix: '!' });
    expect(await cache.getJSON(cacheKeys.guildConfig('123'))).toEqual({ prefix: '!' });
    await cache.del('a', cacheKeys.guildConfig('123'));
    expect(await raw.exists(`${keyPrefix}a`, `${keyPrefix}guild:config:123`)).toBe(0);
    expect(cache.stats()).toEqual({
      redisAvailable: true,
      memoryCacheSize: 0,
      hits: 2,
      misses: 1,
      cacheHitRate: 2 / 3,
    });
    expect(cache.isRedisAvailable).toBe(true);
  });

  it('uses the default TTL of one hour and the given one', async () => {
    const keyPrefix = uniquePrefix('fb');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    const raw = rawRedis();
    const started = Date.now();
    await cache.set('d', 'x');
    await cache.set('t', 'x', 60);
    const [d, t] = await Promise.all([raw.pttl(`${keyPrefix}d`), raw.pttl(`${keyPrefix}t`)]);
    // The TTLs run down while the test runs: allow exactly the time that passed, however long.
    const elapsed = Date.now() - started + 1;
    expect(d).toBeGreaterThanOrEqual(3_600_000 - elapsed);
    expect(d).toBeLessThanOrEqual(3_600_000);
    expect(t).toBeGreaterThanOrEqual(60_000 - elapsed);
    expect(t).toBeLessThanOrEqual(60_000);
  });

  it('applies TTL jitter below the TTL', async () => {
    const keyPrefix = uniquePrefix('fb');
    const cache = await manager({ redis: redisUrl(), keyPrefix, ttlJitter: 0.5 });
    const raw = rawRedis();
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.set(`j${i}`, 'x', 100)));
    const ttls = await Promise.all(Array.from({ length: 20 }, (_, i) => raw.pttl(`${keyPrefix}j${i}`)));
    const elapsed = Date.now() - started + 1;
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThanOrEqual(50_000 - elapsed);
      expect(ttl).toBeLessThanOrEqual(100_000);
    }
    expect(new Set(ttls.map((t) => Math.round(t / 1000))).size).toBeGreaterThan(1);
  });

  it('versioned writes are compare-and-set: an older version never replaces a newer one', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fb') });
    expect(await cache.set('k', 'v5', { version: 5 })).toBe(true);
    expect(await cache.set('k', 'v3', { version: 3 })).toBe(false);
    expect(await cache.set('k', 'v5b', { version: 5 })).toBe(false);
    expect(await cache.getEntry('k')).toMatchObject({ value: 'v5', version: 5 });
    expect(await cache.set('k', 'v6', { version: 6 })).toBe(true);
    expect(await cache.get('k')).toBe('v6');
  });

  it('invalidate(key, v) drops older values and keeps later writes below v out', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fb') });
    await cache.set('k', 'v4', { version: 4 });
    await cache.invalidate('k', 6);
    expect(await cache.get('k')).toBeNull();
    expect(await cache.set('k', 'v5', { version: 5 })).toBe(false); // a slow writer of an older version
    expect(await cache.get('k')).toBeNull();
    expect(await cache.set('k', 'v6', { version: 6 })).toBe(true); // the announced version is accepted
    expect(await cache.get('k')).toBe('v6');
    await cache.invalidate('k', 6); // not newer: the value stays
    expect(await cache.get('k')).toBe('v6');
  });

  it('escapes values that look like its own header', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fb') });
    await cache.set('k', '\u00017:1\u0001x');
    expect(await cache.getEntry('k')).toEqual({
      value: '\u00017:1\u0001x',
      version: undefined,
      writtenAt: undefined,
    });
  });

  it('a corrupted (non-JSON) value is a miss and is deleted, never thrown', async () => {
    const keyPrefix = uniquePrefix('fb');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    const raw = rawRedis();
    await raw.set(`${keyPrefix}bad`, '{"not json');
    await expect(cache.getJSON('bad')).resolves.toBeNull();
    await waitFor(async () => (await raw.exists(`${keyPrefix}bad`)) === 0);
    expect(cache.stats().misses).toBe(1);
  });

  it('refuses empty and huge keys with InvalidKeyError, accepts any other string', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fb') });
    await expect(cache.get('')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.set('x'.repeat(1025), 'v')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.del('')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await cache.set('any key: with * spaces', 'v')).toBe(true);
    expect(await cache.get('any key: with * spaces')).toBe('v');
  });

  it('closes only what it created', async () => {
    const client = rawRedis();
    const cache = await manager({ redis: client, keyPrefix: uniquePrefix('fb') });
    await cache.set('k', 'v');
    await cache.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
});

describe('RedisFallbackManager memory fallback', () => {
  async function downCache(options: { max?: number; maxSize?: number } = {}) {
    const server = await privateRedis();
    const cache = await manager({ redis: server.url, commandTimeoutMs: 50, memory: options });
    await server.kill();
    await waitFor(() => !cache.isRedisAvailable);
    return cache;
  }

  it('TTL semantics are the same in memory and in Redis: a 1 s entry expires in both', async () => {
    const up = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fb') });
    const down = await downCache();
    for (const cache of [up, down]) {
      await cache.set('t', 'x', 1);
      await cache.set('v', 'y', { ttlSeconds: 1, version: 1 });
      await cache.set('long', 'z', 3600);
      // read back at once: no fixed sleep that a loaded machine could overshoot past the TTL
      expect([await cache.get('t'), await cache.get('v')]).toEqual(['x', 'y']);
    }
    for (const cache of [up, down]) {
      await waitFor(async () => (await cache.get('t')) === null && (await cache.get('v')) === null, {
        timeoutMs: 15_000,
        message: 'the 1 s entries to expire',
      });
      expect(await cache.get('long')).toBe('z');
    }
    expect(down.isRedisAvailable).toBe(false);
  });

  it('memory is bounded by max entries', async () => {
    const cache = await downCache({ max: 5 });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, 'v');
    expect(cache.stats().memoryCacheSize).toBe(5);
    expect(await cache.get('k49')).toBe('v');
    expect(await cache.get('k0')).toBeNull();
  });

  it('memory is bounded by maxSize bytes', async () => {
    const cache = await downCache({ maxSize: 1000 });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, 'x'.repeat(98));
    expect(cache.stats().memoryCacheSize).toBeLessThanOrEqual(10);
    expect(cache.stats().memoryCacheSize).toBeGreaterThan(0);
  });

  it('the same compare-and-set and tombstone rules apply in memory', async () => {
    const cache = await downCache();
    expect(await cache.set('k', 'v5', { version: 5 })).toBe(true);
    expect(await cache.set('k', 'v4', { version: 4 })).toBe(false);
    await cache.invalidate('k', 7);
    expect(await cache.get('k')).toBeNull();
    expect(await cache.set('k', 'v6', { version: 6 })).toBe(false);
    expect(await cache.set('k', 'v7', { version: 7 })).toBe(true);
    expect(await cache.getJSON('k')).toBeNull(); // 'v7' is not JSON: a miss, not a throw
  });

  it('starts in memory mode when Redis is not there, and switches to Redis when it comes', async () => {
    const server = await privateRedis();
    await server.kill();
    const cache = await manager({ redis: server.url, connectTimeoutMs: 200, healthCheckIntervalMs: 100 });
    expect(cache.isRedisAvailable).toBe(false);
    expect(await cache.set('k', 'v', { version: 1 })).toBe(true);
    expect(await cache.get('k')).toBe('v');
    await server.restart();
    await waitFor(() => cache.isRedisAvailable, { timeoutMs: 3000 });
    const raw = rawRedis(server.url);
    defer(() => raw.disconnect());
    expect(await cache.get('k')).toBe('v'); // written back
    expect((await raw.get('k'))?.endsWith('v')).toBe(true);
  });
});
