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
import { closeOwnedClient, createRedisClient, RESTART_DELAY_MS } from '../src/internal/redis_client.js';
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

/**
 * What ioredis' failover detector does when a Sentinel announces `+switch-master`: it disconnects
 * the client's connector. Done while the client reconnects and is still asking a Sentinel for the
 * master, the interrupted lookup ends the client for good (status `end`). A master that dies makes
 * this likely: the client reconnects at once and the switch is announced a moment later.
 */
function switchMasterWhileResolving(client: Redis): void {
  client.once('connecting', () =>
    process.nextTick(() =>
      (client as unknown as { connector: { disconnect(): void } }).connector.disconnect(),
    ),
  );
  client.disconnect(true);
}

describe('Redis Sentinel', () => {
  it('a connection the SDK owns comes back when a failover interrupts its reconnect', async () => {
    const client = createRedisClient(viaSentinels(), 1000) as Redis;
    client.on('error', () => {});
    const statuses: string[] = [];
    client.on('end', () => statuses.push('end'));
    try {
      await client.connect();
      switchMasterWhileResolving(client);
      await waitFor(() => statuses.includes('end'), { timeoutMs: 5000, message: 'ioredis ended the client' });
      await waitFor(() => client.status === 'ready', {
        timeoutMs: 5000,
        message: 'the client is ready again',
      });
      expect(await client.ping()).toBe('PONG');
    } finally {
      await closeOwnedClient(client);
    }
  });

  it('a connection the SDK closes stays closed', async () => {
    const client = createRedisClient(viaSentinels(), 1000) as Redis;
    client.on('error', () => {});
    await client.connect();
    await closeOwnedClient(client);
    await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS * 3));
    expect(client.status).toBe('end');
  });

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
