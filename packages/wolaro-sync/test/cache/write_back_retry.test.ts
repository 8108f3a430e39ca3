import { captureLogger, startTcpProxy, waitFor } from '@wolaro/test-harness';
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
});
