import { redisUrl, uniquePrefix } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { defer, manager, privateRedis, rawRedis, useCleanup } from './helpers.js';

useCleanup();

// RedisFallbackManager.invalidateOrGet: the tombstone's compare-and-set, answering with the value
// it kept, on a real Redis and on the in-memory fallback during an outage.

describe('RedisFallbackManager.invalidateOrGet', () => {
  it('writes its tombstone over nothing and over an older value, as invalidate does', async () => {
    const keyPrefix = uniquePrefix('iog');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    expect(await cache.invalidateOrGet('a', 4)).toEqual({ written: true });
    expect(await cache.getEntry('a')).toBeNull();
    expect(await cache.set('a', 'v3', { version: 3 })).toBe(false); // kept out by the tombstone

    expect(await cache.set('b', 'v3', { version: 3 })).toBe(true);
    expect(await cache.invalidateOrGet('b', 4)).toEqual({ written: true });
    expect(await cache.get('b')).toBeNull();
    expect(await rawRedis().pttl(`${keyPrefix}b`)).toBeGreaterThan(0);
  });

  it('answers with the value it kept at the same version or a newer one, and leaves it in place', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('iog') });
    const before = Date.now();
    expect(await cache.setJSON('k', { prefix: '?' }, { version: 5 })).toBe(true);
    const same = await cache.invalidateOrGet('k', 5);
    expect(same).toMatchObject({ written: false, entry: { value: '{"prefix":"?"}', version: 5 } });
    const writtenAt = same.written ? 0 : (same.entry?.writtenAt ?? 0);
    expect(writtenAt).toBeGreaterThanOrEqual(before);
    expect(writtenAt).toBeLessThanOrEqual(Date.now());
    expect(await cache.invalidateOrGet('k', 3)).toMatchObject({ written: false, entry: { version: 5 } });
    expect(await cache.getJSONEntry('k')).toMatchObject({ value: { prefix: '?' }, version: 5 });
  });

  it('keeps a tombstone of the same or a newer version and answers with no entry', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('iog') });
    expect(await cache.invalidate('k', 6)).toBe(true);
    expect(await cache.invalidateOrGet('k', 6)).toEqual({ written: false, entry: null });
    expect(await cache.invalidateOrGet('k', 2)).toEqual({ written: false, entry: null });
    expect(await cache.invalidateOrGet('k', 7)).toEqual({ written: true });
  });

  it('counts what it kept as a hit', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('iog') });
    await cache.set('k', 'v', { version: 2 });
    await cache.invalidateOrGet('k', 2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 });
    await cache.invalidateOrGet('k', 3);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 }); // written: nothing read
  });

  it('works after the script cache was flushed (EVALSHA falls back to EVAL)', async () => {
    const server = await privateRedis();
    const cache = await manager({ redis: server.url });
    await cache.set('k', 'v9', { version: 9 });
    await rawRedis(server.url).script('FLUSH');
    expect(await cache.invalidateOrGet('k', 9)).toMatchObject({ written: false, entry: { value: 'v9' } });
    await rawRedis(server.url).script('FLUSH');
    expect(await cache.invalidateOrGet('k', 10)).toEqual({ written: true });
  });

  it('during an outage answers from memory by the same rule', async () => {
    const server = await privateRedis();
    const cache = await manager({ redis: server.url, commandTimeoutMs: 200, healthCheckIntervalMs: 100 });
    await server.pause();
    defer(() => (server.paused ? server.resume() : undefined));
    expect(await cache.invalidateOrGet('k', 3)).toEqual({ written: true });
    expect(cache.isRedisAvailable).toBe(false);
    expect(await cache.set('k', 'v4', { version: 4 })).toBe(true);
    expect(await cache.invalidateOrGet('k', 4)).toMatchObject({
      written: false,
      entry: { value: 'v4', version: 4 },
    });
    expect(await cache.invalidateOrGet('k', 5)).toEqual({ written: true });
    expect(await cache.invalidateOrGet('k', 5)).toEqual({ written: false, entry: null });
  });

  it('a command error on the key (WRONGTYPE) answers kept with no entry, and Redis stays in use', async () => {
    const keyPrefix = uniquePrefix('iog');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    await rawRedis().lpush(`${keyPrefix}list`, 'x');
    expect(await cache.invalidateOrGet('list', 1)).toEqual({ written: false, entry: null });
    expect(cache.isRedisAvailable).toBe(true);
  });
});
