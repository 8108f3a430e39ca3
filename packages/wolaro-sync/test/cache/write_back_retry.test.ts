import { captureLogger, startTcpProxy, waitFor } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/cache/envelope.js';
import { defer, manager, privateRedis, rawRedis, useCleanup } from './helpers.js';

useCleanup();

describe('RedisFallbackManager write-back that fails again', () => {
  it('keeps the outage writes when the write-back times out, and writes them on the next recovery', async () => {
    const server = await privateRedis();
    const proxy = await startTcpProxy({ targetPort: server.port });
    defer(() => proxy.close());
    const direct = rawRedis(server.url);
    proxy.setMode('reset');
    const logger = captureLogger();
    const cache = await manager({
      redis: proxy.url('redis'),
      connectTimeoutMs: 200,
      commandTimeoutMs: 300,
      healthCheckIntervalMs: 100,
      logger,
    });
    expect(cache.isRedisAvailable).toBe(false);
    expect(await cache.set('k', 'v7', { version: 7 })).toBe(true);
    const downs = () => logger.count('Redis down, using memory cache', 'warn');
    const downsBefore = downs();
    // Writes (and scripts) block on the server: PING answers, the write-back's CAS times out.
    await direct.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    defer(() => direct.call('CLIENT', 'UNPAUSE'));
    const up = new Promise<{ written: number; skipped: number; dropped: number }>((resolve) =>
      cache.once('up', resolve),
    );
    proxy.setMode('pass');
    await waitFor(() => logger.has('Redis reconnected', 'info') && downs() > downsBefore, {
      timeoutMs: 15_000,
    });
    expect(cache.isRedisAvailable).toBe(false);
    await direct.call('CLIENT', 'UNPAUSE');
    const totals = await up;
    // The timed-out CAS still runs once the pause ends; the retry then finds it (written or skipped).
    expect(totals.written + totals.skipped).toBe(1);
    expect(totals.dropped).toBe(0);
    const stored = await direct.get('k');
    expect(stored && decodeValue(stored)).toMatchObject({ data: 'v7', version: 7 });
  }, 60_000);

  it('Redis hangs again while the write-back is in flight: reads fall back to the outage values, which stay in memory, and no up is emitted', async () => {
    const server = await privateRedis();
    // A given client with its own commandTimeout: the manager adds no timer, so a reply held below is
    // only late, never a failure.
    const client = new Redis(server.url, { commandTimeout: 200, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    defer(() => client.disconnect());
    // The write-back's CAS reply is handed over only when the test says so (the command itself runs).
    let holding = false;
    let held: Promise<unknown> | undefined;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const evalsha = client.evalsha.bind(client);
    client.evalsha = ((...args: Parameters<typeof evalsha>) => {
      const reply = evalsha(...args);
      if (!holding) return reply;
      held = reply;
      return reply.then(async (value) => {
        await gate;
        return value;
      });
    }) as typeof client.evalsha;
    const logger = captureLogger();
    // No health-check tick in the way: only the early probe (1 s after an outage) recovers.
    const cache = await manager({ redis: client, healthCheckIntervalMs: 600_000, logger });
    const ups: unknown[] = [];
    cache.on('up', (totals) => ups.push(totals));

    await server.pause();
    defer(() => (server.paused ? server.resume() : undefined));
    expect(await cache.set('k', 'v1', { version: 1 })).toBe(true);
    expect(cache.isRedisAvailable).toBe(false);
    holding = true;
    await server.resume();
    await waitFor(() => held !== undefined, { timeoutMs: 8000 });
    holding = false;
    await held; // Redis answered the write-back; the manager does not know yet
    expect(cache.isRedisAvailable).toBe(true);

    await server.pause();
    // The read goes to Redis, times out, and is answered from memory: the outage write is still there.
    expect(await cache.get('k')).toBe('v1');
    expect(cache.isRedisAvailable).toBe(false);

    release();
    await new Promise<void>((r) => setImmediate(r));
    // The write-back finished while Redis was down again: memory keeps serving, nothing says 'up'.
    expect(ups).toEqual([]);
    expect(logger.has('Redis cache write-back done')).toBe(false);
    expect(cache.stats().memoryCacheSize).toBe(1);
    expect(await cache.get('k')).toBe('v1');
  });
});
