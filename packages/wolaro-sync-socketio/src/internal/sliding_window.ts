/** Most keys tracked per window; past it new keys are let through (and not tracked). */
export const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts hits per key over a sliding window (the two-window estimate: the previous window's count
 * weighted by how much of it still overlaps, plus the current one's). O(1) per hit, two small maps,
 * no timer: the maps roll over as time passes, so memory holds at most two windows of keys.
 */
export class SlidingWindowCounter {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart: number;
  #current = new Map<string, number>();
  #previous = new Map<string, number>();

  constructor(limit: number, windowMs: number, now: number = performance.now()) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#windowStart = now;
  }

  /** Counts one hit of `key`; `false` when the key is over the limit (this hit included). */
  hit(key: string, now: number = performance.now()): boolean {
    this.#roll(now);
    let current = this.#current.get(key);
    if (current === undefined && this.#current.size >= MAX_TRACKED_KEYS) return true;
    current = (current ?? 0) + 1;
    this.#current.set(key, current);
    const overlap = 1 - (now - this.#windowStart) / this.#windowMs;
    return (this.#previous.get(key) ?? 0) * overlap + current <= this.#limit;
  }

  /** Keys tracked now (for tests). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  #roll(now: number): void {
    const windows = Math.floor((now - this.#windowStart) / this.#windowMs);
    if (windows <= 0) return;
    this.#previous = windows === 1 ? this.#current : new Map();
    this.#current = new Map();
    this.#windowStart += windows * this.#windowMs;
  }
}
