import type pg from 'pg';
import { toError } from '../../internal/to_error.js';
import { MARK_CLAIMED_PUBLISHED_SQL } from './sql.js';

/** Most rows one mark statement names. */
const MAX_BATCH = 500;

interface Waiter {
  id: string;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Marks claimed rows published, coalescing the marks of concurrent fast paths: while one mark
 * statement runs, the ids that arrive wait and go together in the next one (a group commit), so
 * under load the marks cost a fraction of a statement per event instead of one each.
 */
class MarkBatcher {
  readonly #db: pg.Pool | pg.ClientBase;
  #pending: Waiter[] = [];
  #flushing = false;

  constructor(db: pg.Pool | pg.ClientBase) {
    this.#db = db;
  }

  mark(id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ id, resolve, reject });
      if (this.#flushing) return;
      this.#flushing = true;
      // Let the fast paths resumed in this turn join the first statement.
      queueMicrotask(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      try {
        await this.#db.query(MARK_CLAIMED_PUBLISHED_SQL, [batch.map((w) => w.id)]);
        for (const w of batch) w.resolve();
      } catch (err) {
        const e = toError(err);
        for (const w of batch) w.reject(e);
      }
    }
    this.#flushing = false;
  }
}

const batchers = new WeakMap<pg.Pool | pg.ClientBase, MarkBatcher>();

/** Marks claimed row `id` published through `db`'s batcher; rejects if its statement fails. */
export function markClaimedPublished(db: pg.Pool | pg.ClientBase, id: string): Promise<void> {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new MarkBatcher(db);
    batchers.set(db, batcher);
  }
  return batcher.mark(id);
}
