import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CAS_SCRIPT, encodeTombstone, encodeValue } from '../../src/cache/envelope.js';
import { MemoryFallback } from '../../src/cache/memory_fallback.js';
import { runCas } from '../../src/cache/redis_ops.js';
import { privateRedis, rawRedis, useCleanup } from './helpers.js';

useCleanup();

const direct = <T>(p: Promise<T>): Promise<T> => p;

describe('runCas', () => {
  it('answers the script result on the EVAL fallback (empty script cache) and on EVALSHA', async () => {
    // A private server: its script cache starts empty and may be flushed without disturbing anyone.
    const server = await privateRedis();
    const redis = rawRedis(server.url);
    const v5 = encodeValue('a', 5, 1);
    expect(await runCas(redis, direct, 'k', ['5', v5, '0', '60000'])).toBe(true); // NOSCRIPT -> EVAL
    await redis.script('FLUSH');
    expect(await runCas(redis, direct, 'k', ['4', encodeValue('b', 4, 2), '0', '60000'])).toBe(false); // EVAL
    expect(await redis.get('k')).toBe(v5);
    // The EVAL cached the script under its SHA-1: from now on it runs by that hash, without EVAL.
    expect(await redis.script('EXISTS', createHash('sha1').update(CAS_SCRIPT).digest('hex'))).toEqual([1]);
    const evals = vi.spyOn(redis, 'eval');
    expect(await runCas(redis, direct, 'k', ['5', encodeTombstone(5, 3), '1', '60000'])).toBe(false); // EVALSHA
    expect(evals).not.toHaveBeenCalled();
    const v6 = encodeValue('c', 6, 4);
    expect(await runCas(redis, direct, 'k', ['6', v6, '0', '60000'])).toBe(true);
    expect(await redis.get('k')).toBe(v6);
  });
});

describe('MemoryFallback.entry near expiry', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('does not hand out an entry with less than 1 ms left (its TTL would be 0)', async () => {
    const m = new MemoryFallback(10, undefined);
    // lru-cache caches its clock for 1 ms (ttlResolution): let that cache lapse before each faked reading.
    const clockCacheLapse = () => new Promise((resolve) => setTimeout(resolve, 5));
    await clockCacheLapse();
    let now = 1_000_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    m.set('k', encodeValue('v', 1, 1), 1000, 1, false);
    now += 400;
    expect(m.entry('k')).toEqual({ raw: encodeValue('v', 1, 1), ttlMs: 600 });
    now += 599.5;
    await clockCacheLapse();
    expect(m.get('k')?.data).toBe('v'); // not yet expired for reads
    expect(m.entry('k')).toBeUndefined(); // but nothing left to write back
  });
});
