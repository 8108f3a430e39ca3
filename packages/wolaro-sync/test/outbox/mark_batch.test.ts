import { describe, expect, it } from 'vitest';
import { enqueueClaimedMany, publishAfterCommit, withTransaction } from '../../src/pg/index.js';
import { defer, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

describe('the marks of claimed rows', () => {
  it('go 500 rows to a statement; a statement is prepared when one of its marks asked for it', async () => {
    const w = await outboxWorld('mark_batch');
    const events = await withTransaction(w.pool, (client) =>
      enqueueClaimedMany(
        client,
        Array.from({ length: 502 }, (_, i) => ({
          channel: 'guild:reload' as const,
          payload: { guildId: String(1000 + i) },
        })),
      ),
    );
    // The name of every statement sent through the pool (undefined: not a prepared statement).
    const names: (string | undefined)[] = [];
    const query = w.pool.query;
    const bound = query.bind(w.pool);
    w.pool.query = ((...args: Parameters<typeof bound>) => {
      const first = args[0] as unknown;
      names.push(typeof first === 'object' && first !== null ? (first as { name?: string }).name : undefined);
      return bound(...args);
    }) as typeof query;
    defer(() => {
      w.pool.query = query;
    });
    // Every mark but the last waits (far longer than the test); the last one flushes them all.
    const results = await Promise.all(
      events.slice(0, -1).map((event) => publishAfterCommit(w.pool, w.sync, event, { markDelayMs: 600_000 })),
    );
    expect(results.every((r) => r)).toBe(true);
    expect(names).toEqual([]);
    const last = events.at(-1);
    if (!last) throw new Error('no events');
    expect(await publishAfterCommit(w.pool, w.sync, last, { preparedStatements: true })).toBe(true);
    // 500 marks without `prepare`, then the 501st with the last one, which asked for it.
    expect(names).toEqual([undefined, 'wolaro_mark_claimed_published']);
    w.pool.query = query;
    const { rows } = await w.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sync_outbox WHERE published_at IS NOT NULL',
    );
    expect(rows[0]?.n).toBe(502);
  });
});
