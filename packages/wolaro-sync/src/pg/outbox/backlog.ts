import type pg from 'pg';
import { OUTBOX_TABLE } from './sql.js';

/**
 * How many outbox events are committed but not yet published (and not given up): the backlog a
 * dashboard or a health check watches. It grows while the bus is down and drains when it is back.
 *
 * @example
 * ```ts
 * import { pendingOutboxCount } from '@wolaro/sync/pg';
 *
 * const pending = await pendingOutboxCount(pool); // e.g. exported as a Prometheus gauge
 * ```
 */
export async function pendingOutboxCount(db: pg.Pool | pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${OUTBOX_TABLE} WHERE published_at IS NULL AND failed_at IS NULL`,
  );
  return Number(rows[0]?.n ?? 0);
}
