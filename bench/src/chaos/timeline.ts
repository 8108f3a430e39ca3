/**
 * What one consumer (a panel socket, or the bot for one guild) held over time: the versions it
 * reached, with when, and the settings of the last one. A process that dies loses what it held:
 * {@link Timeline.reset} starts again from nothing.
 */
export class Timeline {
  /** Increasing versions, each with the moment (performance.now()) it was first held. */
  #steps: { version: number; at: number }[] = [];
  #settings: unknown;

  /** The highest version held, -1 before any. */
  get version(): number {
    return this.#steps.at(-1)?.version ?? -1;
  }

  /** The settings of {@link Timeline.version}. */
  get settings(): unknown {
    return this.#settings;
  }

  /** Records `version` (with its settings when known); older or equal versions change nothing. */
  reach(version: number, at: number, settings?: unknown): boolean {
    if (version <= this.version) return false;
    this.#steps.push({ version, at });
    if (this.#steps.length > 4096) this.#steps.splice(0, 2048);
    this.#settings = settings;
    return true;
  }

  /** When a version ≥ `version` was first held (since the last reset), `undefined` if never. */
  reachedAt(version: number): number | undefined {
    let lo = 0;
    let hi = this.#steps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#steps[mid]!.version >= version) hi = mid;
      else lo = mid + 1;
    }
    return this.#steps[lo]?.at;
  }

  /** Forgets everything (the process holding it died). */
  reset(): void {
    this.#steps = [];
    this.#settings = undefined;
  }
}
