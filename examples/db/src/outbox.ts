import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import type { Queryable } from './types.js';

/** Outbox rows committed but not yet published (the `/metrics` outbox gauge). */
export async function countPendingOutbox(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${OUTBOX_TABLE} WHERE published_at IS NULL AND failed_at IS NULL`,
  );
  return Number(rows[0]?.n ?? 0);
}
