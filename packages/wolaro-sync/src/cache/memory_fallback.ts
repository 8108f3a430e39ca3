import { LRUCache } from 'lru-cache';
import { type DecodedValue, decodeValue, encodeValue, mayReplace } from './envelope.js';

/**
 * The in-memory side of {@link RedisFallbackManager} (internal): a bounded LRU of encoded values
 * with per-entry TTL (same format and compare-and-set rule as Redis), plus the set of keys touched
 * while Redis was down, which the manager reconciles on recovery.
 */
export class MemoryFallback {
  readonly #lru: LRUCache<string, string>;
  readonly #dirty = new Set<string>();
  readonly #dirtyLimit: number;
  #dirtyOverflow = 0;

  constructor(max: number, maxSize: number | undefined) {
    this.#lru = new LRUCache<string, string>({
      max,
      ttlAutopurge: false,
      ...(maxSize === undefined
        ? {}
        : {
            maxSize,
            sizeCalculation: (value: string, key: string) => Math.max(1, value.length + key.length),
          }),
    });
    // Keys are strings only; remembering 10x the entries costs little and lets an evicted entry still
    // be invalidated in Redis on recovery.
    this.#dirtyLimit = Math.max(max * 10, 100_000);
    // Compile the memory path now: the first call answered from memory is the one an outage waits on.
    const probe = '\u0000warm';
    this.set(probe, encodeValue('x', 1, 0), 1000, 1, false);
    this.get(probe);
    this.entry(probe);
    this.delete(probe);
  }

  get size(): number {
    return this.#lru.size;
  }

  /** The live (not expired) value of a key. */
  get(key: string): DecodedValue | undefined {
    const raw = this.#lru.get(key);
    return raw === undefined ? undefined : decodeValue(raw);
  }

  /** The encoded value and its remaining TTL in ms (0 if gone or expired). */
  entry(key: string): { raw: string; ttlMs: number } | undefined {
    const raw = this.#lru.get(key);
    if (raw === undefined) return undefined;
    const ttlMs = Math.floor(this.#lru.getRemainingTTL(key));
    return ttlMs > 0 ? { raw, ttlMs } : undefined;
  }

  /** Stores an encoded value; a versioned one only if {@link mayReplace} allows. Returns whether stored. */
  set(key: string, encoded: string, ttlMs: number, version: number | undefined, tombstone: boolean): boolean {
    if (version !== undefined && !mayReplace(this.get(key), version, tombstone)) return false;
    this.#lru.set(key, encoded, { ttl: ttlMs });
    return true;
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  /** Remembers that `key` changed while Redis was down. */
  markDirty(key: string): void {
    if (this.#dirty.size >= this.#dirtyLimit && !this.#dirty.has(key)) {
      this.#dirtyOverflow++;
      return;
    }
    this.#dirty.add(key);
  }

  get dirtyCount(): number {
    return this.#dirty.size;
  }

  /** Hands over (and forgets) the dirty keys and how many more could not be tracked. */
  takeDirty(): { keys: string[]; untracked: number } {
    const keys = [...this.#dirty];
    const untracked = this.#dirtyOverflow;
    this.#dirty.clear();
    this.#dirtyOverflow = 0;
    return { keys, untracked };
  }

  /** Puts keys back after a failed write-back. */
  restoreDirty(keys: readonly string[]): void {
    for (const key of keys) this.markDirty(key);
  }

  clear(): void {
    this.#lru.clear();
  }
}
