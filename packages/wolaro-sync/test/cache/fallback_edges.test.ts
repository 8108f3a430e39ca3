import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, RedisFallbackManager, RedisUnavailableError } from '../../src/index.js';
import { defer, manager, privateRedis, rawRedis, useCleanup } from './helpers.js';

useCleanup();

// RedisFallbackManager at the edges: boundary values, the 'down' event, command errors on reads,
// deletes of no or several keys, and what a recovery logs.

describe('RedisFallbackManager edges', () => {
  it('names itself in the message of an options error', () => {
    let error: unknown;
    try {
      new RedisFallbackManager({ redis: redisUrl(), ttlJitter: 2 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe(
      'RedisFallbackManager: invalid options: ttlJitter: Too big: expected number to be <=0.9',
    );
  });

  it("emits 'down' with the connection error when Redis is not there at start", async () => {
    const cache = new RedisFallbackManager({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 100 });
    defer(() => cache.close());
    const downs: Error[] = [];
    cache.on('down', (err) => downs.push(err));
    await cache.ready();
    expect(downs).toHaveLength(1);
    expect(downs[0]).toBeInstanceOf(RedisUnavailableError);
    expect(cache.isRedisAvailable).toBe(false);
  });

  it('accepts version 0 and a key of exactly maxKeyLength characters', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fbe'), maxKeyLength: 5 });
    expect(await cache.set('abcde', 'v0', { version: 0 })).toBe(true);
    expect(await cache.getEntry('abcde')).toMatchObject({ value: 'v0', version: 0 });
  });

  it('a second tombstone of the same version is refused (invalidate writes a tombstone, not a value)', async () => {
    const cache = await manager({ redis: redisUrl(), keyPrefix: uniquePrefix('fbe') });
    expect(await cache.invalidate('k', 5)).toBe(true);
    expect(await cache.invalidate('k', 5)).toBe(false);
    expect(await cache.invalidate('k', 6)).toBe(true);
  });

  it('an unversioned write replaces a versioned value in Redis', async () => {
    const keyPrefix = uniquePrefix('fbe');
    const cache = await manager({ redis: redisUrl(), keyPrefix });
    expect(await cache.set('k', 'v3', { version: 3 })).toBe(true);
    expect(await cache.set('k', 'plain')).toBe(true);
    expect(await rawRedis().get(`${keyPrefix}k`)).toBe('plain');
    expect(await cache.getEntry('k')).toEqual({ value: 'plain', version: undefined, writtenAt: undefined });
  });

  it('a read hitting a command error (WRONGTYPE) is a logged miss, and Redis stays in use', async () => {
    const keyPrefix = uniquePrefix('fbe');
    const logger = captureLogger();
    const cache = await manager({ redis: redisUrl(), keyPrefix, logger });
    const raw = rawRedis();
    await raw.rpush(`${keyPrefix}list`, 'x');
    await raw.pexpire(`${keyPrefix}list`, 60_000);
    expect(await cache.get('list')).toBeNull();
    expect(cache.isRedisAvailable).toBe(true);
    expect(logger.lines('warn')).toEqual([
      expect.stringMatching(/^warn: Redis cache command failed: WRONGTYPE/),
    ]);
  });

  it('del() of no keys sends nothing; del() of several keys sends one DEL on a single Redis', async () => {
    const keyPrefix = uniquePrefix('fbe');
    const logger = captureLogger();
    const client = rawRedis();
    const dels: string[][] = [];
    const del = client.del.bind(client);
    client.del = ((...keys: string[]) => {
      dels.push(keys);
      return del(...keys);
    }) as typeof client.del;
    const cache = await manager({ redis: client, keyPrefix, logger });
    await client.set(`${keyPrefix}a`, '1');
    await client.set(`${keyPrefix}b`, '2');
    await cache.del();
    await cache.del('a', 'b');
    expect(dels).toEqual([[`${keyPrefix}a`, `${keyPrefix}b`]]);
    expect(await client.exists(`${keyPrefix}a`, `${keyPrefix}b`)).toBe(0);
    expect(logger.entries).toEqual([]);
  });

  it('a write that times out goes to memory; the recovery writes it back, empties memory and logs the totals at debug', async () => {
    const server = await privateRedis();
    const logger = captureLogger();
    const cache = await manager({
      redis: server.url,
      commandTimeoutMs: 200,
      healthCheckIntervalMs: 100,
      logger,
    });
    await server.pause();
    defer(() => (server.paused ? server.resume() : undefined));
    expect(await cache.set('k', 'v1', { version: 1 })).toBe(true);
    expect(cache.isRedisAvailable).toBe(false);
    expect(await cache.get('k')).toBe('v1');
    const up = new Promise<{ written: number }>((resolve) => cache.once('up', resolve));
    await server.resume();
    expect((await up).written).toBe(1);
    expect(cache.stats().memoryCacheSize).toBe(0); // the outage copy is dropped once written back
    await waitFor(async () => (await rawRedis(server.url).exists('k')) === 1);
    const done = logger.entries.filter((e) => e.msg === 'Redis cache write-back done');
    expect(done).toHaveLength(1);
    expect(done[0]!.level).toBe('debug');
    expect(done[0]!.obj).toMatchObject({ written: 1, skipped: 0, dropped: 0 });
    expect(typeof done[0]!.obj!['downtimeMs']).toBe('number');
    expect(logger.entries.filter((e) => e.msg.includes('not tracked'))).toEqual([]);
  });

  it('an outage tombstone is written back as a tombstone: one of the same version already in Redis is kept', async () => {
    const server = await privateRedis();
    const cache = await manager({ redis: server.url, commandTimeoutMs: 200, healthCheckIntervalMs: 100 });
    expect(await cache.invalidate('k', 5)).toBe(true);
    await server.pause();
    defer(() => (server.paused ? server.resume() : undefined));
    expect(await cache.invalidate('k', 5)).toBe(true); // memory does not know Redis has it
    expect(cache.isRedisAvailable).toBe(false);
    const up = new Promise<{ written: number; skipped: number }>((resolve) => cache.once('up', resolve));
    await server.resume();
    expect(await up).toMatchObject({ written: 0, skipped: 1 });
  });
});
