import { createDatabase } from '@wolaro/db';
import { captureUncaught, createTestSchema } from '@wolaro/test-harness';
import pg from 'pg';
import { expect, it } from 'vitest';

// The bot and the panel API share this pool. pg's pool listens for `error` only on idle clients,
// so a checked-out connection that dies (Postgres restarted, pg_terminate_backend) would throw at
// the process and crash it. The pool guards every connection it opens.

const uncaught = captureUncaught();

it('a connection terminated while checked out of the database pool does not crash the process', async () => {
  const schema = await createTestSchema('db_conn_loss');
  const db = await createDatabase({ databaseUrl: schema.connectionString, migrate: false });
  const admin = new pg.Client({ connectionString: schema.connectionString });
  await admin.connect();
  try {
    const client = await db.pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await ended;
    expect(uncaught).toEqual([]);
    client.release();
    expect(db.pool.totalCount).toBe(0);
    expect((await db.pool.query('SELECT 1 AS n')).rows[0]?.n).toBe(1);
  } finally {
    await admin.end();
    await db.close();
    await schema.drop();
  }
});
