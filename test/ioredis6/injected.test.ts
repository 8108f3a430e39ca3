import { Redis as Redis6 } from 'ioredis6';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisFallbackManager, SyncClient } from '../../packages/wolaro-sync/src/index.js';
import { redisUrl, uniquePrefix, waitFor } from '../support/index.js';

// ioredis 6 clients passed in (the SDK itself runs on ioredis 5 here; the other way round is the
// `test/ioredis6/vitest.config.ts` leg).
describe('an ioredis 6 client passed to the SDK', () => {
  const redis = new Redis6(redisUrl());
  afterAll(() => redis.quit());

  it('carries SyncClient publish/subscribe', async () => {
    const keyPrefix = uniquePrefix('v6');
    const a = new SyncClient({ redis, keyPrefix });
    const b = new SyncClient({ redis, keyPrefix });
    await Promise.all([a.connect(), b.connect()]);
    const seen: string[] = [];
    b.subscribe('guild:reload', (e) => void seen.push(e.guildId));
    await a.publishGuildReload({ guildId: '42' });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['42']);
    await Promise.all([a.close(), b.close()]);
    expect(await redis.ping()).toBe('PONG'); // stays the caller's
  });

  it('backs a RedisFallbackManager (versioned compare-and-set)', async () => {
    const cache = new RedisFallbackManager({ redis, keyPrefix: uniquePrefix('v6c') });
    expect(await cache.setJSON('k', { a: 1 }, { version: 2 })).toBe(true);
    expect(await cache.setJSON('k', { a: 0 }, { version: 1 })).toBe(false);
    expect(await cache.getJSONEntry('k')).toMatchObject({ value: { a: 1 }, version: 2 });
    await cache.close();
  });
});
