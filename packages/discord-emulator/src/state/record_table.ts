/**
 * A keyed collection of records in the emulator state (bans, reactions, webhooks…). Rows are stored as given:
 * treat what you read as read-only and write through `emulator.control` so bots get events.
 *
 * @example
 * ```ts
 * const bans = emulator.state.bans.where((b) => b.guild_id === DEMO.guildId);
 * ```
 */
export class RecordTable<T> {
  readonly #key: (row: T) => string;
  #rows = new Map<string, T>();

  constructor(key: (row: T) => string) {
    this.#key = key;
  }

  /** The key a row is stored under. */
  keyOf(row: T): string {
    return this.#key(row);
  }

  /** One row by key. */
  get(key: string): T | undefined {
    return this.#rows.get(key);
  }

  /** Creates or replaces a row. */
  put(row: T): T {
    this.#rows.set(this.#key(row), row);
    return row;
  }

  /** Deletes a row by key. */
  delete(key: string): boolean {
    return this.#rows.delete(key);
  }

  /** Deletes every row matching a predicate; returns them. */
  deleteWhere(predicate: (row: T) => boolean): T[] {
    const removed = this.where(predicate);
    for (const row of removed) this.#rows.delete(this.#key(row));
    return removed;
  }

  /** Rows matching a predicate, in insertion order. */
  where(predicate: (row: T) => boolean): T[] {
    return [...this.#rows.values()].filter(predicate);
  }

  /** Every row, in insertion order. */
  all(): T[] {
    return [...this.#rows.values()];
  }

  /** Replaces every row (used by restore). */
  load(rows: readonly T[]): void {
    this.#rows = new Map(rows.map((row) => [this.#key(row), row]));
  }
}
