import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/gateway/rate_limit.js';

// TokenBucket takes explicit timestamps (ms), so these are exact and need no clock.
describe('TokenBucket and the clock', () => {
  it('a reading earlier than the last one neither drains nor refills the bucket', () => {
    const bucket = new TokenBucket({ perSecond: 1000, burst: 2 }, 100); // 1 token per ms
    expect(bucket.take(100)).toBe(true); // 1 token left
    // Half a millisecond "in the past": nothing happens to the tokens or to the reference time.
    expect(bucket.take(99.5)).toBe(true); // the last token
    expect(bucket.take(99.5)).toBe(false);
    // Refill counts from 100 (the latest reading), not from 99.5: 0.5 token at 100.5, 1 at 101.
    expect(bucket.take(100.5)).toBe(false);
    expect(bucket.take(101)).toBe(true);
    expect(bucket.take(101)).toBe(false);
  });

  it('a reading equal to the last one adds nothing, even when the rate is unbounded', () => {
    // attachSync refuses a non-finite perSecond; the class on its own refills to the burst on any
    // elapsed time, and must not refill (0 ms × ∞ tokens/ms is NaN) when no time passed.
    const bucket = new TokenBucket({ perSecond: Number.POSITIVE_INFINITY, burst: 1 }, 0);
    expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(1)).toBe(true); // any elapsed time refills to the burst
    expect(bucket.take(1)).toBe(false);
  });
});
