import { performance } from 'node:perf_hooks';

/**
 * Arrival times by key (e.g. a config version), with waiters: `record` when something arrives,
 * `wait` for a key that may already be there. Bounded: the oldest keys are dropped past `max`.
 */
export class Arrivals<K> {
  readonly #times = new Map<K, number>();
  readonly #waiters = new Map<K, (t: number) => void>();

  constructor(readonly max = 100_000) {}

  record(key: K, at: number = performance.now()): void {
    if (this.#times.has(key)) return; // first arrival counts
    this.#times.set(key, at);
    if (this.#times.size > this.max) {
      const oldest = this.#times.keys().next();
      if (!oldest.done) this.#times.delete(oldest.value);
    }
    const waiter = this.#waiters.get(key);
    if (waiter) {
      this.#waiters.delete(key);
      waiter(at);
    }
  }

  get(key: K): number | undefined {
    return this.#times.get(key);
  }

  /** The arrival time of `key`, now or later; `undefined` after `timeoutMs`. */
  wait(key: K, timeoutMs: number): Promise<number | undefined> {
    const at = this.#times.get(key);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.set(key, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  clear(): void {
    this.#times.clear();
  }
}
