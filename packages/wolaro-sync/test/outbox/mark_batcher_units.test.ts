import type pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { markClaimedPublished } from '../../src/pg/outbox/mark_batcher.js';

// The batching of marks, against a scripted database: which ids go in which statement, and when.
// (mark_batch.test.ts and mark_delay.test.ts run the same code against Postgres.)

/** A database whose statements wait until the test settles them, recording the ids of each. */
function scriptedDb() {
  const statements: { ids: string[]; settle(err?: Error): void }[] = [];
  const db = {
    query(_text: unknown, values?: unknown[]) {
      const config = _text as { values?: unknown[] };
      const [ids] = (values ?? config.values ?? []) as [string[]];
      return new Promise<void>((resolve, reject) => {
        statements.push({ ids, settle: (err) => (err ? reject(err) : resolve()) });
      });
    },
  };
  return { db: db as unknown as pg.Pool, statements };
}

/** Lets the current turn's I/O and immediates run (no timer is due meanwhile in these tests). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('markClaimedPublished: the batching of marks', () => {
  it('marks asked for in one turn share one statement', async () => {
    const { db, statements } = scriptedDb();
    const marks = [markClaimedPublished(db, '1', false, 0), markClaimedPublished(db, '2', false, 0)];
    await nextTurn();
    expect(statements.map((s) => s.ids)).toEqual([['1', '2']]);
    statements[0]?.settle();
    await expect(Promise.all(marks)).resolves.toEqual([undefined, undefined]);
  });

  it("a second mark keeps the first one's place: the flush runs before what was queued between them", async () => {
    const { db, statements } = scriptedDb();
    void markClaimedPublished(db, '1', false, 0);
    let seenBetween: string[][] | undefined;
    setImmediate(() => {
      seenBetween = statements.map((s) => s.ids);
    });
    void markClaimedPublished(db, '2', false, 0);
    await nextTurn();
    expect(seenBetween).toEqual([['1', '2']]);
  });

  it('a mark asked for while a statement runs waits for it, then goes in the next one', async () => {
    const { db, statements } = scriptedDb();
    const first = markClaimedPublished(db, '1', false, 0);
    await nextTurn();
    const second = markClaimedPublished(db, '2', false, 0);
    const third = markClaimedPublished(db, '3', false, 60_000);
    await nextTurn();
    await nextTurn();
    expect(statements.map((s) => s.ids)).toEqual([['1']]);
    statements[0]?.settle();
    await first;
    await vi.waitFor(() => expect(statements).toHaveLength(2));
    expect(statements[1]?.ids).toEqual(['2', '3']);
    statements[1]?.settle(new Error('boom'));
    await expect(second).rejects.toThrow('boom');
    await expect(third).rejects.toThrow('boom');
  });

  it('without a delay, flushes after the I/O of this turn, not on a timer', async () => {
    // Timers are frozen: only the immediate can flush.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { db, statements } = scriptedDb();
    void markClaimedPublished(db, '1', false, 0);
    await nextTurn();
    expect(statements.map((s) => s.ids)).toEqual([['1']]);
  });

  it('a mark with a delay joins an earlier flush instead of putting it off', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { db, statements } = scriptedDb();
    void markClaimedPublished(db, '1', false, 0);
    void markClaimedPublished(db, '2', false, 50);
    await nextTurn();
    expect(statements.map((s) => s.ids)).toEqual([['1', '2']]);
  });

  it('a mark without a delay calls off a pending delayed flush: it never runs later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { db, statements } = scriptedDb();
    void markClaimedPublished(db, '1', false, 50);
    void markClaimedPublished(db, '2', false, 0);
    await nextTurn();
    expect(statements.map((s) => s.ids)).toEqual([['1', '2']]);
    statements[0]?.settle();
    await nextTurn();
    // Another delayed mark, due 80 ms after the first: the first one's timer (due at 50) is gone.
    vi.advanceTimersByTime(30);
    void markClaimedPublished(db, '3', false, 50);
    vi.advanceTimersByTime(20);
    await nextTurn();
    expect(statements).toHaveLength(1);
    vi.advanceTimersByTime(30);
    await nextTurn();
    expect(statements.map((s) => s.ids)).toEqual([['1', '2'], ['3']]);
  });
});
