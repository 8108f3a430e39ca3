import type pg from 'pg';
import { toError } from '../../internal/to_error.js';

/**
 * Runs `fn` in a transaction on one pooled connection: `BEGIN`, `fn(client)`, `COMMIT`, or
 * `ROLLBACK` when `fn` throws (the error is rethrown). The connection goes back to the pool, or
 * is destroyed when the rollback itself failed. Returns what `fn` returns.
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
 * });
 * await publishAfterCommit(pool, sync, outboxId);
 * ```
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A connection whose BEGIN, COMMIT or ROLLBACK failed is in an unknown state: destroy it.
  let broken: Error | undefined;
  const sql = (text: string) =>
    client.query(text).catch((err: unknown) => {
      broken = toError(err);
      throw err;
    });
  try {
    await sql('BEGIN');
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
