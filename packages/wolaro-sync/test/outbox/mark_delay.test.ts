import { waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  enqueueClaimed,
  publishAfterCommit,
  sql,
  versionedUpdate,
  versionedUpdateStatement,
  withTransaction,
} from '../../src/pg/index.js';
import { defer, type OutboxWorld, outboxWorld, recordPoolStatements, useCleanup } from './helpers.js';

useCleanup();

/** Far longer than any test: a mark given this delay only runs when another mark flushes it. */
const NEVER_ALONE = 600_000;

/** The outbox rows' published_at, in id order (null while unmarked). */
async function marks(w: OutboxWorld): Promise<(string | null)[]> {
  const { rows } = await w.pool.query<{ at: string | null }>(
    'SELECT published_at::text AS at FROM sync_outbox ORDER BY id',
  );
  return rows.map((r) => r.at);
}

const claim = (w: OutboxWorld, guildId: string, version: number) =>
  withTransaction(w.pool, (client) =>
    enqueueClaimed(client, 'config:update', { guildId, settings: {}, version }),
  );

/** How many statements sent through `pool.query` from now on match `pattern`. */
function countStatements(pool: pg.Pool, pattern: RegExp): () => number {
  const { statements } = recordPoolStatements(pool);
  return () => statements.filter((text) => pattern.test(text)).length;
}

describe('publishAfterCommit({ markDelayMs })', () => {
  it('resolves once the event is published; the mark waits and then shares one UPDATE with later marks', async () => {
    const w = await outboxWorld('mark_delay_shared');
    const markStatements = countStatements(w.pool, /SET published_at = now\(\)/);
    const first = await claim(w, '1', 1);
    const second = await claim(w, '1', 2);
    expect(await publishAfterCommit(w.pool, w.sync, first, { markDelayMs: NEVER_ALONE })).toBe(true);
    expect(await publishAfterCommit(w.pool, w.sync, second, { markDelayMs: NEVER_ALONE })).toBe(true);
    await waitFor(() => w.seen.length === 2, { message: 'both events published' });
    // Published, not yet marked: their marks wait for the delay (or another mark).
    expect(await marks(w)).toEqual([null, null]);
    expect(markStatements()).toBe(0);

    // A mark without a delay flushes what is pending: the three rows go in one statement.
    const third = await claim(w, '1', 3);
    expect(await publishAfterCommit(w.pool, w.sync, third)).toBe(true);
    const after = await marks(w);
    expect(after.every((at) => at !== null)).toBe(true);
    expect(new Set(after).size).toBe(1); // one statement: one now()
    expect(markStatements()).toBe(1);
    expect((await w.outbox()).map((r) => r.attempts)).toEqual([1, 1, 1]);
  });

  it('marks on its own once the delay has passed', async () => {
    const w = await outboxWorld('mark_delay_alone');
    const event = await claim(w, '2', 1);
    expect(await publishAfterCommit(w.pool, w.sync, event, { markDelayMs: 30 })).toBe(true);
    await waitFor(async () => (await marks(w))[0] !== null, { message: 'the row marked after its delay' });
    expect(await w.outbox()).toMatchObject([{ published: true, attempts: 1 }]);
    expect(w.seen).toHaveLength(1);
  });

  it('a mark that fails after the call resolved is logged, and the row keeps its claim for a relay', async () => {
    const w = await outboxWorld('mark_delay_fails');
    const pool = new pg.Pool({ connectionString: w.db.connectionString, max: 2 });
    let closed = false;
    defer(() => (closed ? undefined : pool.end()));
    const event = await claim(w, '3', 1);
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn(_obj: unknown, msg?: string) {
        warnings.push(String(msg));
      },
      error() {},
    };
    const published = publishAfterCommit(pool, w.sync, event, { markDelayMs: 50, logger });
    expect(await published).toBe(true);
    closed = true;
    await pool.end();
    await waitFor(() => warnings.length === 1, { message: 'the failed mark logged' });
    expect(warnings[0]).toContain(`Outbox row ${event.id} published but not marked`);
    const { rows } = await w.pool.query<{ claimed: boolean; published: boolean }>(
      'SELECT claimed_until IS NOT NULL AS claimed, published_at IS NOT NULL AS published FROM sync_outbox',
    );
    expect(rows).toEqual([{ claimed: true, published: false }]);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses markDelayMs %s before doing anything',
    async (markDelayMs) => {
      const w = await outboxWorld('mark_delay_invalid');
      await w.addGuilds('4');
      const event = await claim(w, '4', 1);
      await expect(publishAfterCommit(w.pool, w.sync, event, { markDelayMs })).rejects.toThrow(
        new TypeError(
          `publishAfterCommit: markDelayMs must be a finite number of milliseconds >= 0, got ${markDelayMs}`,
        ),
      );
      const common = { table: 'guilds', idColumn: 'guild_id', id: '4', markDelayMs };
      await expect(
        versionedUpdate(w.pool, w.sync, {
          ...common,
          set: { settings: '{"a":1}' },
          event: () => ({ channel: 'guild:reload', payload: { guildId: '4' } }),
        }),
      ).rejects.toThrow(/^versionedUpdate: markDelayMs must be a finite number of milliseconds >= 0/);
      await expect(
        versionedUpdateStatement(w.pool, w.sync, {
          ...common,
          set: { settings: sql`'{"b":1}'::jsonb` },
          event: { channel: 'guild:reload', payload: { guildId: 'guild_id' } },
        }),
      ).rejects.toThrow(
        /^versionedUpdateStatement: markDelayMs must be a finite number of milliseconds >= 0/,
      );
      // Nothing written, nothing published, the claimed row untouched.
      const { rows } = await w.pool.query<{ version: number }>('SELECT version FROM guilds');
      expect(rows).toEqual([{ version: 0 }]);
      expect(await w.outbox()).toMatchObject([{ published: false, attempts: 0 }]);
      expect(w.seen).toEqual([]);
    },
  );

  it('versioned writes pass it on: the write resolves before its mark', async () => {
    const w = await outboxWorld('mark_delay_versioned');
    await w.addGuilds('5');
    const result = await versionedUpdateStatement(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '5',
      set: { settings: sql`'{"c":1}'::jsonb` },
      event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
      markDelayMs: NEVER_ALONE,
    });
    expect(result).toMatchObject({ version: 1, published: true });
    await waitFor(() => w.seen.length === 1);
    expect(await marks(w)).toEqual([null]);
    const again = await versionedUpdate(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '5',
      set: { settings: '{"c":2}' },
      event: () => ({ channel: 'guild:reload', payload: { guildId: '5' } }),
    });
    expect(again).toMatchObject({ version: 2, published: true });
    const after = await marks(w);
    expect(after).toHaveLength(2);
    expect(new Set(after).size).toBe(1);
    expect(after[0]).not.toBeNull();
  });
});
