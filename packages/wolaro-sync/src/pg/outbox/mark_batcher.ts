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
 * under load the marks cost a fraction of a statement per event instead of one each. A mark given
 * a delay waits up to that long for others (sequential writes then share a statement too); a mark
 * without one flushes what is pending after the current turn.
 */
class MarkBatcher {
  readonly #db: pg.Pool | pg.ClientBase;
  #pending: Waiter[] = [];
  #flushing = false;
  /** The pending flush: when it runs (ms since the epoch) and how to call it off. */
  #scheduled: { at: number; cancel(): void } | undefined;

  constructor(db: pg.Pool | pg.ClientBase) {
    this.#db = db;
  }

  mark(id: string, prepare: boolean, delayMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ id, prepare, resolve, reject });
      // A running flush takes what arrives meanwhile in its next statement.
      if (!this.#flushing) this.#schedule(delayMs);
    });
  }

  #schedule(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (this.#scheduled && this.#scheduled.at <= at) return;
    this.#scheduled?.cancel();
    const run = () => {
      this.#scheduled = undefined;
      void this.#flush();
    };
    // Without a delay: after the I/O of this turn, so the fast paths resumed in it join the first
    // statement, and events already received (a subscriber's copy of what was just published) go
    // first.
    if (delayMs > 0) {
      const timer = setTimeout(run, delayMs);
      this.#scheduled = { at, cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(run);
      this.#scheduled = { at, cancel: () => clearImmediate(immediate) };
    }
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
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
 * `prepare`, the mark statement is a named prepared statement (parsed once per connection). With a
 * `delayMs` above 0, the mark waits up to that long for the marks of other writes, to share their
 * statement.
 */
export function markClaimedPublished(
  db: pg.Pool | pg.ClientBase,
  id: string,
  prepare: boolean,
  delayMs: number,
): Promise<void> {
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new MarkBatcher(db);
    batchers.set(db, batcher);
  }
  return batcher.mark(id, prepare, delayMs);
}
