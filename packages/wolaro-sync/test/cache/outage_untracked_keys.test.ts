import { captureLogger } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { manager, privateRedis, useCleanup } from './helpers.js';

useCleanup();

describe('RedisFallbackManager write-back after a long outage', () => {
  it('warns on recovery how many outage keys could not be tracked', async () => {
    const server = await privateRedis();
    await server.kill();
    const logger = captureLogger();
    // Generous command timeout: the write-back sends 100000 DELs at once to a fresh server.
    const cache = await manager({
      redis: server.url,
      connectTimeoutMs: 200,
      commandTimeoutMs: 60_000,
      healthCheckIntervalMs: 100,
      logger,
    });
    expect(cache.isRedisAvailable).toBe(false);
    // 100001 distinct keys deleted during the outage: one more than the dirty set tracks (memory.max 10000).
    for (let i = 0; i < 100_001; i += 10_000) {
      const n = Math.min(10_000, 100_001 - i);
      await cache.del(...Array.from({ length: n }, (_, j) => `k${i + j}`));
    }
    const up = new Promise<{ dropped: number }>((resolve) => cache.once('up', resolve));
    await server.restart();
    expect((await up).dropped).toBe(100_000);
    const warns = logger.entries.filter((e) => e.msg.includes('not tracked'));
    expect(warns).toHaveLength(1);
    expect(warns[0]!.level).toBe('warn');
    expect(warns[0]!.msg).toBe('1 keys written during the outage were not tracked; they expire by TTL');
    expect(warns[0]!.obj).toEqual({ untracked: 1 });
  }, 120_000);
});
