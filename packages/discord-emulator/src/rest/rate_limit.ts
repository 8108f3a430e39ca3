import { createHash } from 'node:crypto';

/**
 * Rate limit settings: `limit` requests per `windowMs` per route bucket.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({ rateLimit: { limit: 5, windowMs: 1000 } }); // the 6th call in a second → 429
 * ```
 */
export interface RateLimitOptions {
  /** Requests allowed per window and bucket. Default 1000. */
  limit?: number;
  /** Window length in ms. Default 1000. */
  windowMs?: number;
}

/** The outcome of consuming one request from a bucket. */
export interface RateLimitResult {
  limited: boolean;
  headers: Record<string, string>;
  retryAfterSeconds: number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed-window per-route rate limiter producing Discord's `X-RateLimit-*` headers. A bucket is a route pattern
 * plus its major parameter (channel, guild, webhook), like Discord's.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();

  constructor(options: RateLimitOptions = {}) {
    this.#limit = options.limit ?? 1000;
    this.#windowMs = options.windowMs ?? 1000;
  }

  /** Counts a request; `route` identifies the bucket, `major` its major parameter. */
  consume(route: string, major: string, now = Date.now()): RateLimitResult {
    const key = `${route}|${major}`;
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
      if (this.#windows.size > 10_000) this.#sweep(now);
    }
    window.count += 1;
    const resetAt = window.start + this.#windowMs;
    const resetAfter = Math.max(0, resetAt - now) / 1000;
    const limited = window.count > this.#limit;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.#limit),
      'x-ratelimit-remaining': String(Math.max(0, this.#limit - window.count)),
      'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': createHash('sha1').update(route).digest('hex').slice(0, 32),
    };
    if (limited) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(resetAfter)));
      headers['x-ratelimit-scope'] = 'user';
    }
    return { limited, headers, retryAfterSeconds: Number(resetAfter.toFixed(3)) };
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.#windowMs) this.#windows.delete(key);
    }
  }
}
