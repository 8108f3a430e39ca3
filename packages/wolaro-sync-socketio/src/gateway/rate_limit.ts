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

/**
 * Limits on new Socket.io connections, counted over a sliding window of `windowMs`: at most `perIp`
 * handshakes from one client address and `perUser` handshakes of one user (counted once the token
 * is verified, so nobody can spend someone else's quota). Every attempt counts, refused ones too,
 * so a client that keeps hammering stays refused; a refused client gets `connect_error` with the
 * message and `data.code` `rate_limited`. `false` turns one limit off.
 *
 * @example
 * ```ts
 * attachSync(io, { ...options, connectionRateLimit: { perIp: 120, perUser: 20, windowMs: 10_000 } });
 * ```
 */
export interface ConnectionRateLimitOptions {
  /** Handshakes per window from one client address (see `clientAddress`). */
  perIp?: number | false;
  /** Handshakes per window of one user (after `verifyToken`). */
  perUser?: number | false;
  /** Length of the sliding window in milliseconds. */
  windowMs?: number;
}

/**
 * Defaults of {@link ConnectionRateLimitOptions}: 60 handshakes per 10 s from one address, 20 per
 * 10 s of one user. A panel connects once per tab and reconnects with a back-off, so real users
 * stay far below; raise `perIp` when many users share one address (an office NAT).
 *
 * @example
 * ```ts
 * attachSync(io, { ...options, connectionRateLimit: { ...DefaultConnectionRateLimitOptions, perIp: 300 } });
 * ```
 */
export const DefaultConnectionRateLimitOptions = {
  perIp: 60,
  perUser: 20,
  windowMs: 10_000,
} as const satisfies Required<ConnectionRateLimitOptions>;
