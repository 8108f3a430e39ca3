import { captureUncaught } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/pg/index.js';
import { connectWithin } from '../../src/pg/outbox/timeouts.js';
import { defer, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

// pg's pool listens for `error` only on idle clients. A client checked out by the SDK whose
// connection dies (Postgres restarted, pg_terminate_backend, a proxy dropping it) emits `error`;
// with nobody listening, Node turns that into an uncaught exception and the process dies.

const uncaught = captureUncaught();

async function terminator(connectionString: string): Promise<(client: pg.ClientBase) => Promise<void>> {
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  defer(() => admin.end());
  return async (client) => {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // Not events.once: it listens for `error` itself, which would hide what this test looks for.
    const ended = new Promise<void>((resolve) => (client as pg.Client).once('end', () => resolve()));
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await ended;
  };
}

describe('a pooled connection lost while the SDK holds it', () => {
  it('withTransaction rejects, nothing is thrown at the process, and the pool drops the dead connection', async () => {
    const w = await outboxWorld('lost_tx');
    const terminate = await terminator(w.db.connectionString);
    const outcome = withTransaction(w.pool, async (client) => {
      await terminate(client);
      await client.query('SELECT 1');
    }).then(
      () => 'committed',
      (err: Error) => err.message,
    );
    expect(await outcome).toMatch(/terminat|connection error/i);
    expect(uncaught).toEqual([]);
    expect(w.pool.totalCount).toBe(0);
    // The next transaction gets a fresh connection.
    expect(await withTransaction(w.pool, async (c) => (await c.query('SELECT 2 AS n')).rows[0]?.n)).toBe(2);
  });

  it('a guarded checkout (what the relay and publishAfterCommit use) survives the loss while idle in its hands', async () => {
    const w = await outboxWorld('lost_idle');
    const terminate = await terminator(w.db.connectionString);
    const client = await connectWithin(w.pool, 2000);
    await terminate(client);
    expect(uncaught).toEqual([]);
    client.release();
    expect(w.pool.totalCount).toBe(0);
    expect((await w.pool.query('SELECT 3 AS n')).rows[0]?.n).toBe(3);
  });
});
