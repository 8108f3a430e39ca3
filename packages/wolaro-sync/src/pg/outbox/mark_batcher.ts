import type pg from 'pg';
import { toError } from '../../internal/to_error.js';
import { MARK_CLAIMED_PUBLISHED_SQL } from './sql.js';

/** The mark's name as a prepared statement (when a caller asked for `prepare`). */
const MARK_STATEMENT_NAME = 'wolaro_mark_claimed_published';

/** Most rows one mark statement names. */
const MAX_BATCH = 500;

interface Waiter {
  id: string;
  prepare: boolean;
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

  mark(id: string, prepare: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ id, prepare, resolve, reject });
      if (this.#flushing) return;
      this.#flushing = true;
      // After the I/O of this turn: the fast paths resumed in it join the first statement, and
      // events already received (a subscriber's copy of what was just published) go first.
      setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      try {
        const values = [batch.map((w) => w.id)];
        if (batch.some((w) => w.prepare)) {
          await this.#db.query({ name: MARK_STATEMENT_NAME, text: MARK_CLAIMED_PUBLISHED_SQL, values });
        } else {
          await this.#db.query(MARK_CLAIMED_PUBLISHED_SQL, values);
        }
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

/**
 * Marks claimed row `id` published through `db`'s batcher; rejects if its statement fails. With
 * `prepare`, the mark statement is a named prepared statement (parsed once per connection).
 */
export function markClaimedPublished(
  db: pg.Pool | pg.ClientBase,
  id: string,
  prepare = false,
): Promise<void> {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new MarkBatcher(db);
    batchers.set(db, batcher);
  }
  return batcher.mark(id, prepare);
}
