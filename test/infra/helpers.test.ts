import { createServer } from 'node:net';
import { captureLogger, freePort, redisUrl, sleep, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';

describe('uniquePrefix', () => {
  it('returns a different t<hex>: prefix on every call', () => {
    const prefixes = Array.from({ length: 1000 }, () => uniquePrefix());
    expect(new Set(prefixes).size).toBe(1000);
    for (const p of prefixes) expect(p).toMatch(/^t[0-9a-f]{12}:$/);
    expect(uniquePrefix('cache tier/1')).toMatch(/^t[0-9a-f]{12}:cache_tier_1:$/);
  });

  it('redisUrl() comes from the global setup', () => {
    expect(redisUrl()).toMatch(/^rediss?:\/\//);
  });
});

describe('freePort', () => {
  it('returns a port that can be bound', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('waitFor', () => {
  it('resolves with the first truthy value and tolerates throwing attempts', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls === 4 && { calls };
      },
      { intervalMs: 1 },
    );
    expect(value).toEqual({ calls: 4 });
  });

  it('awaits async predicates', async () => {
    const started = Date.now();
    await waitFor(async () => {
      await sleep(5);
      return Date.now() - started > 30;
    });
  });

  it('throws a clear error on timeout, quoting the last failure', async () => {
    const started = Date.now();
    const err = await waitFor(
      () => {
        throw new Error('still down');
      },
      { timeoutMs: 60, intervalMs: 10, message: 'the cache to recover' },
    ).catch((e: unknown) => e as Error);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(err.message).toMatch(
      /^waitFor: timed out after 60 ms \(\d+ attempts\) waiting for the cache to recover/,
    );
    expect(err.message).toContain('last attempt threw: still down');
    expect((err.cause as Error).message).toBe('still down');
    await expect(waitFor(() => 0 > 1, { timeoutMs: 20 })).rejects.toThrow(
      /waiting for \(\) => 0 > 1; last value: false/,
    );
  });
});

describe('captureLogger', () => {
  it('records pino-style calls', () => {
    const log = captureLogger();
    log.warn('Redis down, using memory cache');
    log.info({ guildId: '1' }, 'Published %s for guild %d', 'config:update', 123);
    const boom = new Error('boom');
    log.error(boom);
    log.error({ err: boom }, 'failed');
    log.child({ module: 'x' }).debug('from child');
    log.trace({ only: 'object' });
    log.fatal('last');

    expect(log.entries.map((e) => [e.level, e.msg])).toEqual([
      ['warn', 'Redis down, using memory cache'],
      ['info', 'Published config:update for guild 123'],
      ['error', 'boom'],
      ['error', 'failed'],
      ['debug', 'from child'],
      ['trace', ''],
      ['fatal', 'last'],
    ]);
    expect(log.entries[1]?.obj).toEqual({ guildId: '1' });
    expect(log.entries[2]?.obj).toEqual({ err: boom });
    expect(log.entries[0]?.obj).toBeUndefined();
    expect(log.child()).toBe(log);
    expect(log.lines('error')).toEqual(['error: boom', 'error: failed']);
    expect(log.lines()[0]).toBe('warn: Redis down, using memory cache');
  });

  it('matches by substring, RegExp or predicate, optionally by level', () => {
    const log = captureLogger();
    log.warn('Redis down, using memory cache');
    log.warn('Redis down, using memory cache');
    log.info('Redis up again');
    expect(log.has('Redis down, using memory cache')).toBe(true);
    expect(log.has('Redis down', 'error')).toBe(false);
    expect(log.count('Redis')).toBe(3);
    expect(log.count(/^Redis down/g)).toBe(2);
    expect(log.count((e) => e.level === 'warn' && e.msg.startsWith('Redis down'))).toBe(2);
    log.clear();
    expect(log.entries).toHaveLength(0);
    expect(log.has('Redis')).toBe(false);
  });
});
