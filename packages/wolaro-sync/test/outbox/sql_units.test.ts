import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isSqlFragment, sql, sqlQuery, withTransaction } from '../../src/pg/index.js';
import { quoteIdentifier } from '../../src/pg/outbox/sql.js';
import { beginSql } from '../../src/pg/outbox/transaction.js';
import { defer, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

describe('transaction time limits', () => {
  it('are SET LOCAL in the BEGIN round trip, 0 and the largest timer value included', () => {
    expect(beginSql()).toBe('BEGIN');
    expect(beginSql({ lockTimeoutMs: 5 })).toBe('BEGIN; SET LOCAL lock_timeout = 5');
    expect(beginSql({ statementTimeoutMs: 0 })).toBe('BEGIN; SET LOCAL statement_timeout = 0');
    expect(beginSql({ lockTimeoutMs: 2_147_483_647, statementTimeoutMs: 7 })).toBe(
      'BEGIN; SET LOCAL lock_timeout = 2147483647; SET LOCAL statement_timeout = 7',
    );
  });

  it.each([1.5, -1, 2 ** 31, Number.NaN])('refuses %s for either limit, naming it and the value', (ms) => {
    expect(() => beginSql({ lockTimeoutMs: ms })).toThrow(
      new TypeError(`lock_timeout must be a whole number of milliseconds >= 0, got ${ms}`),
    );
    expect(() => beginSql({ statementTimeoutMs: ms })).toThrow(
      new TypeError(`statement_timeout must be a whole number of milliseconds >= 0, got ${ms}`),
    );
  });

  it('withTransaction applies them to its transaction only', async () => {
    const w = await outboxWorld('sqlu_limits', { max: 1 });
    const inside = await withTransaction(
      w.pool,
      async (client) => {
        const { rows } = await client.query<{ lock: string; statement: string }>(
          "SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement",
        );
        return rows[0];
      },
      { lockTimeoutMs: 1500, statementTimeoutMs: 2500 },
    );
    expect(inside).toEqual({ lock: '1500ms', statement: '2500ms' });
    const { rows } = await w.pool.query<{ lock: string }>("SELECT current_setting('lock_timeout') AS lock");
    expect(rows[0]?.lock).toBe('0');
  });

  it('withTransaction destroys a connection whose ROLLBACK failed, and rethrows the error of fn', async () => {
    const w = await outboxWorld('sqlu_rollback', { max: 1 });
    const admin = new pg.Client({ connectionString: w.db.connectionString });
    await admin.connect();
    defer(() => admin.end());
    let pid = 0;
    const err = await withTransaction(w.pool, async (client) => {
      pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
      // Its connection dies under it: fn fails, then so does the ROLLBACK.
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await client.query('SELECT 1');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(w.pool.totalCount).toBe(0);
    const next = await withTransaction(w.pool, async (client) =>
      client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'),
    );
    expect(next.rows[0]?.pid).not.toBe(pid);
  });
});

describe('names and fragments', () => {
  it('quotes plain identifiers of up to 63 characters, and schema.table only where a table is expected', () => {
    const long = `a${'b'.repeat(62)}`;
    expect(quoteIdentifier(long, 'column')).toBe(`"${long}"`);
    expect(quoteIdentifier('_x9', 'column')).toBe('"_x9"');
    expect(quoteIdentifier('s.t', 'table', true)).toBe('"s"."t"');
    expect(quoteIdentifier('t', 'table', true)).toBe('"t"');
    expect(() => quoteIdentifier(`${long}c`, 'column')).toThrow(
      new TypeError(
        `Invalid column "${long}c": use letters, digits and _ (at most 63, not starting with a digit)`,
      ),
    );
    expect(() => quoteIdentifier('s.t', 'column')).toThrow(/^Invalid column "s\.t": .*digit\)$/);
    expect(() => quoteIdentifier('a.b.c', 'table', true)).toThrow(
      /^Invalid table "a\.b\.c": .*, optionally as schema\.table$/,
    );
    for (const bad of ['', '9a', 'a-b', ' a', 'a ', 's.', '.t']) {
      expect(() => quoteIdentifier(bad, 'table', true), bad).toThrow(TypeError);
    }
  });

  it('tells fragments from other values, and renders a fragment with no values as its text', () => {
    expect(isSqlFragment(sql`now()`)).toBe(true);
    for (const value of ['now()', null, undefined, 1, {}, { strings: ['x'], values: [] }]) {
      expect(isSqlFragment(value)).toBe(false);
    }
    expect(sqlQuery(sql`now()`)).toEqual({ text: 'now()', values: [] });
    expect(sqlQuery(sql`${1}${2}`)).toEqual({ text: '$1$2', values: [1, 2] });
  });
});
