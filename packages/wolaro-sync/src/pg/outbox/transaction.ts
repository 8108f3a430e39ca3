import type pg from 'pg';
import { toError } from '../../internal/to_error.js';
import { connectWithin } from './timeouts.js';

/**
 * Time limits of one transaction (see {@link withTransaction}): each is set with `SET LOCAL` in
 * the same round trip as `BEGIN`, so it costs nothing and ends with the transaction. Left out, the
 * connection's own setting applies (what the pool was configured with, e.g. pg's
 * `statement_timeout` / `lock_timeout` pool options); `0` turns the limit off for this transaction.
 *
 * @example
 * ```ts
 * const limits: TransactionTimeouts = { lockTimeoutMs: 2000, statementTimeoutMs: 5000 };
 * ```
 */
export interface TransactionTimeouts {
  /**
   * Longest wait for a lock (a row another transaction holds): then the statement fails with
   * SQLSTATE `55P03` (`lock_not_available`) and the transaction rolls back.
   * @defaultValue the connection's `lock_timeout`
   */
  lockTimeoutMs?: number | undefined;
  /**
   * Longest run of one statement: then it fails with SQLSTATE `57014` (`query_canceled`).
   * @defaultValue the connection's `statement_timeout`
   */
  statementTimeoutMs?: number | undefined;
}

/** `BEGIN` plus the `SET LOCAL`s of `limits`, as one simple-protocol query (one round trip). */
export function beginSql(limits: TransactionTimeouts = {}): string {
  let text = 'BEGIN';
  const set = (name: string, ms: number | undefined) => {
    if (ms === undefined) return;
    if (!Number.isInteger(ms) || ms < 0 || ms > 2_147_483_647) {
      throw new TypeError(`${name} must be a whole number of milliseconds >= 0, got ${ms}`);
    }
    text += `; SET LOCAL ${name} = ${ms}`;
  };
  set('lock_timeout', limits.lockTimeoutMs);
  set('statement_timeout', limits.statementTimeoutMs);
  return text;
}

/**
 * Runs `fn` in a transaction on one pooled connection: `BEGIN`, `fn(client)`, `COMMIT`, or
 * `ROLLBACK` when `fn` throws (the error is rethrown). The connection goes back to the pool, or
 * is destroyed when the rollback itself failed. Returns what `fn` returns.
 *
 * `limits` bound the transaction's lock waits and statements ({@link TransactionTimeouts}), so a
 * row locked by another session makes it fail fast instead of holding a pooled connection.
 *
 * Use only `client` inside `fn`: on embedded PGlite a transaction open on one connection blocks
 * every other one, so waiting on another connection (or `pool.query`) inside `fn` deadlocks.
 *
 * @example
 * ```ts
 * import { enqueue, publishAfterCommit, withTransaction } from '@wolaro/sync/pg';
 *
 * const outboxId = await withTransaction(pool, async (client) => {
 *   await client.query('UPDATE guild_members SET permissions = 0 WHERE guild_id = $1 AND user_id = $2', [g, u]);
 *   return enqueue(client, 'permission:revoked', { guildId: g, userId: u, reason: 'Administrator role removed' });
 * }, { lockTimeoutMs: 2000 });
 * await publishAfterCommit(pool, sync, outboxId);
 * ```
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  limits: TransactionTimeouts = {},
): Promise<T> {
  const begin = beginSql(limits);
  const client = await connectWithin(pool);
  // A connection whose BEGIN, COMMIT or ROLLBACK failed is in an unknown state: destroy it.
  let broken: Error | undefined;
  const sql = (text: string) =>
    client.query(text).catch((err: unknown) => {
      broken = toError(err);
      throw err;
    });
  try {
    await sql(begin);
    let result: T;
    try {
      result = await fn(client);
    } catch (err) {
      await sql('ROLLBACK').catch(() => {});
      throw err;
    }
    await sql('COMMIT');
    return result;
  } finally {
    client.release(broken);
  }
}
