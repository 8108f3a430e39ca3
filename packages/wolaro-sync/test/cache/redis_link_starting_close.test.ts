import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisLink, type RedisLinkOptions } from '../../src/cache/redis_link.js';
import { defer, useCleanup } from './helpers.js';

useCleanup();

/** A RedisLink closed after the test, with a captured logger and recorded onDown calls. */
function link(overrides: Partial<RedisLinkOptions> & Pick<RedisLinkOptions, 'redis'>) {
  const logger = captureLogger();
  const downs: Error[] = [];
  const l = new RedisLink({
    commandTimeoutMs: 1000,
    healthCheckIntervalMs: 60_000,
    connectTimeoutMs: 2000,
    logger,
    onDown: (err) => downs.push(err),
    onBack: async () => undefined,
    ...overrides,
  });
  defer(() => l.close());
  return { link: l, logger, downs };
}

/** Whether `promise` has settled once every callback already queued has run. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise<void>((r) => setImmediate(r));
  return settled;
}

describe('RedisLink while starting', () => {
  it('refused connection attempts do not end "starting" early: calls wait up to connectTimeoutMs', async () => {
    const { link: l, logger, downs } = link({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 60_000 });
    // two refused attempts (each closes the connection) have happened
    await waitFor(() => logger.count('ECONNREFUSED', 'debug') >= 2, { timeoutMs: 8000 });
    expect(downs).toEqual([]);
    expect(await settledNow(l.usable())).toBe(false);
  });

  it('once marked down while starting, calls use memory at once instead of waiting for the connect timeout', async () => {
    const { link: l, downs } = link({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 60_000 });
    l.markDown(new Error('given up early'));
    expect(downs).toHaveLength(1);
    const usable = l.usable();
    expect(await settledNow(usable)).toBe(true);
    await expect(usable).resolves.toBe(false);
  });
});

describe('RedisLink.close()', () => {
  it('lets a created client finish the commands already sent (QUIT, not a dropped socket)', async () => {
    const { link: l } = link({ redis: redisUrl() });
    await l.started;
    const pending = (l.client as Redis).blpop(`${uniquePrefix()}:none`, 0.2);
    await l.close();
    await expect(pending).resolves.toBeNull();
    await waitFor(() => l.client.status === 'end');
  });

  it('a second close() is a no-op (one swallowing error listener)', async () => {
    const { link: l } = link({ redis: redisUrl() });
    await l.started;
    await l.close();
    await l.close();
    expect(l.client.listenerCount('error')).toBe(1);
  });
});
