/**
 * A token-bucket rate: `perSecond` tokens are added each second, up to `burst`.
 *
 * @example
 * ```ts
 * attachSync(io, { ...options, rateLimit: { perSecond: 20, burst: 40 } });
 * ```
 */
export interface RateLimitOptions {
  /** Sustained rate of client events per socket. */
  perSecond: number;
  /** Events a socket may send at once after being idle. */
  burst: number;
}

/**
 * Defaults of {@link RateLimitOptions}: 20 events/s, bursts of 40.
 *
 * @example
 * ```ts
 * attachSync(io, { ...options, rateLimit: { ...DefaultRateLimitOptions, burst: 100 } });
 * ```
 */
export const DefaultRateLimitOptions = { perSecond: 20, burst: 40 } as const satisfies RateLimitOptions;

/**
 * One socket's token bucket. `take()` costs O(1) and allocates nothing, so a flood is refused as
 * cheaply as possible.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ perSecond: 20, burst: 40 });
 * if (!bucket.take()) return ack({ ok: false, error: 'rate_limited' });
 * ```
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(options: RateLimitOptions, now: number = performance.now()) {
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
    this.#tokens = options.burst;
    this.#last = now;
  }

  /** Takes one token if there is one; `false` means "over the limit". */
  take(now: number = performance.now()): boolean {
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
