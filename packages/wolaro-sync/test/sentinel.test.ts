import {
  captureLogger,
  startedForFile,
  startRedisSentinel,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisFallbackManager, RedisTransport, SyncClient } from '../src/index.js';
import { closeAfterEach } from './closing.js';
import { listening, transportContract } from './contract.js';

// One master, one replica and three Sentinels for the whole file.
const sentinel = startedForFile(() => startRedisSentinel({ replicas: 1, sentinels: 3 }), 60_000);
const viaSentinels = () => ({ sentinels: [...sentinel().sentinels], name: sentinel().name });

transportContract({
  name: 'redis-sentinel',
  create: () => new RedisTransport({ redis: viaSentinels() }),
});

const track = closeAfterEach();

describe('Redis Sentinel', () => {
  it('survives a master failover: the bus resyncs and works again, the cache writes to the new master', async () => {
    const keyPrefix = uniquePrefix('sen');
    const a = track(new SyncClient({ redis: viaSentinels(), keyPrefix }));
    const b = track(new SyncClient({ redis: viaSentinels(), keyPrefix }));
    const logger = captureLogger();
    const cache = track(
      new RedisFallbackManager({
        redis: viaSentinels(),
        keyPrefix,
        healthCheckIntervalMs: 200,
        commandTimeoutMs: 1000,
        logger,
      }),
    );
    await Promise.all([a.connect(), b.connect(), cache.ready()]);
    const { got, resyncs } = await listening(a, b);
    expect(await cache.set('k', 'before')).toBe(true);

    const { killed, promoted } = await sentinel().killMaster();
    expect(promoted).not.toBe(killed);
    await waitFor(() => resyncs.length === 1, { timeoutMs: 20_000, message: 'resync after the failover' });

    // The publisher follows the Sentinels too: keep publishing until the subscriber hears one.
    await waitFor(
      async () => {
        await a.publishConfigUpdate({ guildId: '1', settings: {}, version: 2 }).catch(() => {});
        return got.includes(2);
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'a publish after the failover arrives' },
    );
    await waitFor(async () => (await cache.set('k', 'after')) && cache.isRedisAvailable, {
      timeoutMs: 20_000,
      intervalMs: 200,
    }).catch((err: Error) => {
      const lines = logger.entries.map(
        (e) =>
          `${e.time} ${e.level} ${e.msg} ${String((e.obj?.['err'] as Error | undefined)?.message ?? '')}`,
      );
      throw new Error(`${err.message}\ncache log:\n${lines.join('\n')}`);
    });
    const direct = new Redis(promoted.port, '127.0.0.1');
    try {
      expect(await direct.get(`${keyPrefix}k`)).toBe('after');
    } finally {
      direct.disconnect();
    }
    expect(b.transport.healthy).toBe(true);
  }, 60_000);
});
