/**
 * Remembers recent `permission:revoked` events so that an authorization check that was already
 * running when the revocation arrived cannot re-add the user to the guild room afterwards.
 *
 * A check takes `seq` before calling `authorize`; when it resolves, `revokedSince(user, guild, seq)`
 * says whether a revocation for that pair was handled in between. Entries are kept for
 * `retainMs` (longer than any check may run, see `callbackTimeoutMs`), so memory stays bounded. A
 * check that outlived that (a stalled event loop) cannot be told apart from one that missed a
 * forgotten revocation, so it counts as revoked: the caller refuses, and the client can retry.
 */
export class RevocationLog {
  readonly #retainMs: number;
  readonly #entries = new Map<string, { seq: number; at: number }>();
  #seq = 0;
  /** The newest `seq` of a forgotten entry: checks taken before it cannot be answered. */
  #forgotten = 0;

  constructor(retainMs: number) {
    this.#retainMs = retainMs;
  }

  /** The current sequence number: take it before an authorization check. */
  get seq(): number {
    return this.#seq;
  }

  /** Records a revocation of `guildId` for `userId`. */
  record(userId: string, guildId: string, now: number = performance.now()): void {
    const key = `${userId}:${guildId}`;
    this.#entries.delete(key); // re-insert at the end: the map stays ordered by time
    this.#entries.set(key, { seq: ++this.#seq, at: now });
    for (const [k, entry] of this.#entries) {
      if (now - entry.at <= this.#retainMs) break;
      this.#entries.delete(k);
      this.#forgotten = entry.seq;
    }
  }

  /**
   * Whether `guildId` was revoked for `userId` after `seq` was taken; also `true` when a revocation
   * recorded after `seq` has since been forgotten (the check ran longer than `retainMs`).
   */
  revokedSince(userId: string, guildId: string, seq: number): boolean {
    if (seq < this.#forgotten) return true;
    const entry = this.#entries.get(`${userId}:${guildId}`);
    return entry !== undefined && entry.seq > seq;
  }

  /** Number of remembered revocations. */
  get size(): number {
    return this.#entries.size;
  }
}
