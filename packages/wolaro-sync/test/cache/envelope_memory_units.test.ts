import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeTombstone, encodeValue, mayReplace } from '../../src/cache/envelope.js';
import { MemoryFallback } from '../../src/cache/memory_fallback.js';
import { CacheCommandTimeoutError, isOutageError, isTimeoutError } from '../../src/cache/redis_ops.js';

// Narrow unit tests of the pure parts of the cache: the value envelope and its replace rule, the
// error classification and the in-memory fallback's bounds.

const M = '\u0001';
const raw = (data: string) => ({ data, version: undefined, writtenAt: undefined });

describe('decodeValue', () => {
  it('decodes a versioned value and a tombstone with version and write time', () => {
    expect(decodeValue(encodeValue('{"a":1}', 7, 1234))).toEqual({
      data: '{"a":1}',
      version: 7,
      writtenAt: 1234,
    });
    expect(decodeValue(encodeTombstone(9, 55))).toEqual({ data: undefined, version: 9, writtenAt: 55 });
  });

  it('reads a value that does not start with the mark as raw, even if it contains the mark later', () => {
    expect(decodeValue(`a${M}b`)).toEqual(raw(`a${M}b`));
    expect(decodeValue('plain')).toEqual(raw('plain'));
  });

  it('reads a marked value without a closing mark as raw', () => {
    expect(decodeValue(`${M}12`)).toEqual(raw(`${M}12`));
    expect(decodeValue(`${M}abc`)).toEqual(raw(`${M}abc`));
  });

  it('unescapes an unversioned value that starts with the mark', () => {
    expect(decodeValue(encodeValue(`${M}x`, undefined, 0))).toEqual(raw(`${M}x`));
  });

  it('accepts a header without a write time, and ignores a colon inside the data', () => {
    expect(decodeValue(`${M}7${M}data`)).toEqual({ data: 'data', version: 7, writtenAt: undefined });
    expect(decodeValue(`${M}7${M}a:b`)).toEqual({ data: 'a:b', version: 7, writtenAt: undefined });
    expect(decodeValue(`${M}T4${M}`)).toEqual({ data: undefined, version: 4, writtenAt: undefined });
  });

  it('keeps the version but drops a write time that is not a number', () => {
    expect(decodeValue(`${M}7:xx${M}d`)).toEqual({ data: 'd', version: 7, writtenAt: undefined });
  });

  it('reads a header whose version is not an integer as raw data', () => {
    expect(decodeValue(`${M}abc${M}data`)).toEqual(raw(`${M}abc${M}data`));
    expect(decodeValue(`${M}1.5:3${M}data`)).toEqual(raw(`${M}1.5:3${M}data`));
  });

  it('reads a version only from digits, as the CAS script does (no sign, blank, space or exponent)', () => {
    for (const header of ['-5', ':3', ' 5', '1e3', '0x10', 'T-2', 'T']) {
      expect(decodeValue(`${M}${header}${M}data`), header).toEqual(raw(`${M}${header}${M}data`));
    }
    expect(decodeValue(`${M}0:3${M}data`)).toEqual({ data: 'data', version: 0, writtenAt: 3 });
  });
});

describe('mayReplace', () => {
  const value = (version: number | undefined) => ({ data: 'x', version, writtenAt: undefined });
  const tomb = (version: number) => ({ data: undefined, version, writtenAt: undefined });

  it('replaces nothing and unversioned values', () => {
    expect(mayReplace(undefined, 1, false)).toBe(true);
    expect(mayReplace(value(undefined), 1, false)).toBe(true);
    expect(mayReplace(value(undefined), 0, true)).toBe(true);
  });

  it('replaces a versioned value only with a newer version (value or tombstone)', () => {
    expect(mayReplace(value(5), 5, false)).toBe(false);
    expect(mayReplace(value(5), 4, false)).toBe(false);
    expect(mayReplace(value(5), 6, false)).toBe(true);
    expect(mayReplace(value(5), 5, true)).toBe(false);
    expect(mayReplace(value(5), 6, true)).toBe(true);
  });

  it('lets a value of the tombstone version replace it, but not an equal tombstone', () => {
    expect(mayReplace(tomb(5), 5, false)).toBe(true);
    expect(mayReplace(tomb(5), 4, false)).toBe(false);
    expect(mayReplace(tomb(5), 5, true)).toBe(false);
    expect(mayReplace(tomb(5), 6, true)).toBe(true);
  });
});

describe('error classification', () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

  it('treats command errors as not an outage and unavailable replies and other errors as one', () => {
    expect(isOutageError(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      false,
    );
    expect(isOutageError(reply('ERR unknown command'))).toBe(false);
    expect(isOutageError(reply('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isOutageError(new Error('Connection is closed.'))).toBe(true);
  });

  it('recognises both its own timer and ioredis commandTimeout as timeouts', () => {
    const own = new CacheCommandTimeoutError(250);
    expect(own.name).toBe('CacheCommandTimeoutError');
    expect(own.message).toBe('Redis cache command timed out after 250 ms');
    expect(isTimeoutError(own)).toBe(true);
    expect(isTimeoutError(new Error('Command timed out'))).toBe(true);
    expect(isTimeoutError(new Error('Connection is closed.'))).toBe(false);
  });
});

describe('MemoryFallback', () => {
  it('stores an unversioned value over a versioned one, and applies the replace rule to versioned ones', () => {
    const m = new MemoryFallback(10, undefined);
    expect(m.set('k', encodeValue('v5', 5, 1), 60_000, 5, false)).toBe(true);
    expect(m.set('k', encodeValue('v4', 4, 2), 60_000, 4, false)).toBe(false);
    expect(m.get('k')?.data).toBe('v5');
    expect(m.set('k', 'plain', 60_000, undefined, false)).toBe(true);
    expect(m.get('k')).toEqual(raw('plain'));
    expect(m.entry('k')?.raw).toBe('plain');
    expect(m.entry('missing')).toBeUndefined();
  });

  it('charges key plus value length against maxSize', () => {
    const m = new MemoryFallback(100, 50);
    const k1 = 'a'.repeat(30);
    const k2 = 'b'.repeat(30);
    m.set(k1, 'x'.repeat(10), 60_000, undefined, false);
    m.set(k2, 'y'.repeat(10), 60_000, undefined, false);
    expect(m.size).toBe(1);
    expect(m.get(k1)).toBeUndefined();
    expect(m.get(k2)?.data).toBe('y'.repeat(10));
  });

  it('tracks at least 100000 dirty keys, counts the overflow, and re-marking a tracked key is free', () => {
    const m = new MemoryFallback(1, undefined);
    for (let i = 0; i < 100_000; i++) m.markDirty(`k${i}`);
    expect(m.dirtyCount).toBe(100_000);
    m.markDirty('k0');
    m.markDirty('extra1');
    m.markDirty('extra2');
    expect(m.dirtyCount).toBe(100_000);
    const taken = m.takeDirty();
    expect(taken.keys.length).toBe(100_000);
    expect(taken.untracked).toBe(2);
    expect(m.takeDirty()).toEqual({ keys: [], untracked: 0 });
  });

  it('tracks ten times memory.max dirty keys when that is more than 100000', () => {
    const m = new MemoryFallback(20_000, undefined);
    for (let i = 0; i < 100_001; i++) m.markDirty(`k${i}`);
    const taken = m.takeDirty();
    expect(taken.keys.length).toBe(100_001);
    expect(taken.untracked).toBe(0);
  });

  it('drops an expired entry when it is next read, not with a timer per entry (it counts in size until then)', async () => {
    const m = new MemoryFallback(10, undefined);
    m.set('short', 'a', 5, undefined, false);
    m.set('sentinel', 'b', 40, undefined, false);
    // Once the later entry has expired (and been dropped by this read), the first one's time is long past.
    await waitFor(() => m.get('sentinel') === undefined);
    expect(m.size).toBe(1);
    expect(m.get('short')).toBeUndefined();
    expect(m.size).toBe(0);
  });

  it('puts keys back with restoreDirty', () => {
    const m = new MemoryFallback(10, undefined);
    m.markDirty('a');
    const { keys } = m.takeDirty();
    expect(m.dirtyCount).toBe(0);
    m.restoreDirty(keys);
    expect(m.dirtyCount).toBe(1);
    expect(m.takeDirty().keys).toEqual(['a']);
  });
});
