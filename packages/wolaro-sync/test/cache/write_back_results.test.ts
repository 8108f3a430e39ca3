import { captureLogger, uniquePrefix } from '@wolaro/test-harness';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { encodeTombstone, encodeValue } from '../../src/cache/envelope.js';
import { MemoryFallback } from '../../src/cache/memory_fallback.js';
import { issueWriteBack } from '../../src/cache/write_back.js';
import { rawRedis, useCleanup } from './helpers.js';

useCleanup();

// issueWriteBack against the real shared Redis (under a unique prefix) with a MemoryFallback holding
// what was written during an outage; the outage case uses a client stand-in whose commands fail.

const direct = <T>(p: Promise<T>): Promise<T> => p;

describe('issueWriteBack', () => {
  it('writes back values with the CAS rule, deletes untracked keys, and drops keys with command errors', async () => {
    const prefix = uniquePrefix('c4wb');
    const redis = rawRedis();
    const memory = new MemoryFallback(100, undefined);
    const logger = captureLogger();
    const overTomb = `${prefix}over-tomb`;
    const older = `${prefix}older`;
    const gone = `${prefix}gone`;
    const wrongType = `${prefix}list`;
    // A value of version 5 may replace a tombstone of version 5 (written, the tombstone flag must be '0').
    await redis.set(overTomb, encodeTombstone(5, 1), 'PX', 60_000);
    memory.set(overTomb, encodeValue('v5', 5, 2), 60_000, 5, false);
    // A value older than the one in Redis is skipped.
    await redis.set(older, encodeValue('v4', 4, 1), 'PX', 60_000);
    memory.set(older, encodeValue('v3', 3, 2), 60_000, 3, false);
    // A key touched but no longer in memory is deleted in Redis.
    await redis.set(gone, 'stale', 'PX', 60_000);
    // A command error (not an outage) is logged and the key counted as dropped.
    await redis.rpush(wrongType, 'x');
    await redis.pexpire(wrongType, 60_000);
    memory.set(wrongType, encodeValue('v2', 2, 2), 60_000, 2, false);

    const result = await issueWriteBack(redis, direct, memory, [overTomb, older, gone, wrongType], logger);
    expect(result).toEqual({ written: 1, skipped: 1, dropped: 2, failed: [], error: undefined });
    expect(await redis.get(overTomb)).toBe(encodeValue('v5', 5, 2));
    expect(await redis.get(older)).toBe(encodeValue('v4', 4, 1));
    expect(await redis.exists(gone)).toBe(0);
    const warns = logger.entries.filter((e) => e.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(new RegExp(`^Redis cache write-back of ${wrongType} failed: .*WRONGTYPE`));
    expect(warns[0]!.obj).toMatchObject({ key: wrongType });
    expect((warns[0]!.obj as { err: Error }).err.message).toContain('WRONGTYPE');
  });

  it('writes a tombstone back as a tombstone (an equal version value in Redis is kept)', async () => {
    const prefix = uniquePrefix('c4wb');
    const redis = rawRedis();
    const memory = new MemoryFallback(100, undefined);
    const key = `${prefix}t`;
    await redis.set(key, encodeValue('v6', 6, 1), 'PX', 60_000);
    memory.set(key, encodeTombstone(6, 2), 60_000, 6, true);
    const result = await issueWriteBack(redis, direct, memory, [key], captureLogger());
    expect(result).toEqual({ written: 0, skipped: 1, dropped: 0, failed: [], error: undefined });
    expect(await redis.get(key)).toBe(encodeValue('v6', 6, 1));
  });

  it('returns the keys whose commands failed because Redis went away again, without logging', async () => {
    const lost = new Error('Connection is closed.');
    const client = {
      evalsha: () => Promise.reject(lost),
      eval: () => Promise.reject(lost),
      del: () => Promise.reject(lost),
    } as unknown as Redis;
    const memory = new MemoryFallback(100, undefined);
    memory.set('a', encodeValue('v1', 1, 1), 60_000, 1, false);
    const logger = captureLogger();
    const result = await issueWriteBack(client, direct, memory, ['a', 'b'], logger);
    expect({ ...result, failed: [...result.failed].sort() }).toEqual({
      written: 0,
      skipped: 0,
      dropped: 0,
      failed: ['a', 'b'],
      error: lost,
    });
    expect(logger.entries).toHaveLength(0);
  });
});
