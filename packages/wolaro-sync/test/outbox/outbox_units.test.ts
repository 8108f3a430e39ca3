import { captureLogger, createTestSchema, databaseUrl } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { enqueue, migrate, pendingOutboxCount, withTransaction } from '../../src/pg/index.js';
import { onDrainLockReleased, tryDrainLock } from '../../src/pg/outbox/drain_lock.js';
import { MIGRATE_LOCK_SQL, TRY_DRAIN_LOCK_SQL } from '../../src/pg/outbox/sql.js';
import {
  ConnectTimeoutError,
  connectWithin,
  guardCheckout,
  withQueryTimeout,
} from '../../src/pg/outbox/timeouts.js';
import { defer, type OutboxWorld, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

/** A client of the world's schema, ended after the test. */
async function sessionOf(w: OutboxWorld): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: w.db.connectionString });
  await client.connect();
  defer(() => client.end().catch(() => {}));
  return client;
}

/** Whether another session can take the drain lock now (it lets go of it at once). */
async function drainLockFree(w: OutboxWorld): Promise<boolean> {
  const other = await sessionOf(w);
  const { rows } = await other.query<{ locked: boolean }>(TRY_DRAIN_LOCK_SQL);
  await other.query('SELECT pg_advisory_unlock_all()');
  return rows[0]?.locked === true;
}

describe('pendingOutboxCount()', () => {
  it('counts the rows neither published nor set aside, through a pool or a client', async () => {
    const w = await outboxWorld('units_backlog');
    expect(await pendingOutboxCount(w.pool)).toBe(0);
    const enqueueReload = (guildId: string) =>
      withTransaction(w.pool, (client) => enqueue(client, 'guild:reload', { guildId }));
    const ids = [await enqueueReload('1'), await enqueueReload('2'), await enqueueReload('3')];
    await enqueueReload('4');
    await w.pool.query('UPDATE sync_outbox SET published_at = now() WHERE id = $1', [ids[0]]);
    await w.pool.query('UPDATE sync_outbox SET failed_at = now() WHERE id = $1', [ids[1]]);
    expect(await pendingOutboxCount(w.pool)).toBe(2);
    const client = await w.pool.connect();
    defer(() => client.release());
    expect(await pendingOutboxCount(client)).toBe(2);
  });
});

describe('the drain lock', () => {
  it('is taken once per session: a second take in the same session is refused and leaves one level held', async () => {
    const w = await outboxWorld('units_lock_reentry');
    const session = await sessionOf(w);
    const lock = await tryDrainLock(session);
    expect(lock).toBeDefined();
    expect(await tryDrainLock(session)).toBeUndefined();
    expect(await drainLockFree(w)).toBe(false);
    await lock?.release();
    // Released once, free: the refused second take did not leave a level behind.
    expect(await drainLockFree(w)).toBe(true);
  });

  it('tells the listeners of this process on each release, once per lock, even when the unlock fails', async () => {
    const w = await outboxWorld('units_lock_listeners');
    let calls = 0;
    const off = onDrainLockReleased(() => {
      calls++;
    });
    defer(off);
    const session = await sessionOf(w);
    const lock = await tryDrainLock(session);
    await lock?.release();
    await lock?.release();
    expect(calls).toBe(1);
    // A second holder after the first let go.
    const again = await tryDrainLock(session);
    expect(again).toBeDefined();
    await session.end();
    await expect(again?.release()).rejects.toThrow();
    expect(calls).toBe(2);
    off();
    const third = await tryDrainLock(await sessionOf(w));
    await third?.release();
    expect(calls).toBe(2);
  });
});

describe('checkouts with time limits', () => {
  it('connectWithin() rejects with ConnectTimeoutError when the pool has nothing within the limit; the late connection goes back', async () => {
    const w = await outboxWorld('units_connect', { max: 1 });
    const held = await w.pool.connect();
    const err = await connectWithin(w.pool, 30).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    expect(err).toMatchObject({
      name: 'ConnectTimeoutError',
      message: 'No Postgres connection within 30 ms',
    });
    held.release();
    // The connection handed to the late connect went straight back: the pool can lend it again.
    const next = await connectWithin(w.pool, 1000);
    expect((await next.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
    next.release();
    expect(w.pool.totalCount).toBe(1);
  });

  it('connectWithin(pool, 0) waits as long as the pool does', async () => {
    const w = await outboxWorld('units_connect_unbounded', { max: 1 });
    const held = await w.pool.connect();
    const waiting = connectWithin(w.pool, 0);
    // Another checkout queued behind it: answered only after it, so the first one is still waiting.
    const behind = w.pool.connect();
    held.release();
    const first = await waiting;
    first.release();
    (await behind).release();
    expect(w.pool.totalCount).toBe(1);
  });

  it('a guarded checkout stops listening for errors once released', async () => {
    const w = await outboxWorld('units_guard', { max: 1 });
    const plain = await w.pool.connect();
    plain.release();
    // What an idle client of the pool listens with.
    const idle = plain.listenerCount('error');
    const client = await w.pool.connect();
    expect(client).toBe(plain);
    const checkedOut = client.listenerCount('error');
    guardCheckout(client);
    expect(client.listenerCount('error')).toBe(checkedOut + 1);
    client.release();
    expect(client.listenerCount('error')).toBe(idle);
  });

  it('withQueryTimeout() bounds each query, and 0 leaves the client as it is', async () => {
    const w = await outboxWorld('units_query_timeout');
    const client = await w.pool.connect();
    let broken: Error | undefined;
    defer(() => client.release(broken ?? true));
    expect(withQueryTimeout(client, 0)).toBe(client);
    const timed = withQueryTimeout(client, 50);
    expect(timed).not.toBe(client);
    expect((await timed.query<{ n: number }>('SELECT $1::int AS n', [7])).rows[0]?.n).toBe(7);
    broken = await timed.query('SELECT pg_sleep(1)').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(broken?.message).toBe('Query read timeout');
  });
});

describe('migrate() paths', () => {
  it('logs the creation once, and works through a client it leaves open', async () => {
    const db = await createTestSchema('units_migrate_client', { max: 2 });
    defer(() => db.drop());
    const client = new pg.Client({ connectionString: db.connectionString });
    await client.connect();
    defer(() => client.end());
    const logger = captureLogger();
    expect(await migrate(client, { logger })).toEqual({ schema: db.schema, created: true });
    expect(await migrate(client, { logger })).toEqual({ schema: db.schema, created: false });
    expect(logger.entries.map((e) => [e.level, e.msg, e.obj])).toEqual([
      ['info', `Created sync_outbox in schema ${db.schema}`, { schema: db.schema, table: 'sync_outbox' }],
    ]);
    expect((await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
  });

  it('gives up after lockTimeoutMs while another process migrates the same schema, and rolls back', async () => {
    const db = await createTestSchema('units_migrate_lock', { max: 2 });
    defer(() => db.drop());
    const other = new pg.Client({ connectionString: db.connectionString });
    await other.connect();
    defer(() => other.end());
    await other.query('BEGIN');
    await other.query(MIGRATE_LOCK_SQL);
    for (const lockTimeoutMs of [50, 0.5]) {
      const err = await migrate(db.pool, { lockTimeoutMs }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: '55P03' });
    }
    expect((await db.pool.query(`SELECT to_regclass('sync_outbox') AS t`)).rows[0]?.t).toBeNull();
    // The connection went back to the pool out of its transaction.
    expect((await db.pool.query<{ s: string }>('SELECT now() = statement_timestamp() AS s')).rows[0]?.s).toBe(
      true,
    );
    await other.query('ROLLBACK');
    expect(await migrate(db.pool)).toEqual({ schema: db.schema, created: true });
  });

  it('refuses a search_path without any existing schema', async () => {
    const url = new URL(databaseUrl());
    url.searchParams.set('options', '-c search_path=wolaro_no_such_schema');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    defer(() => client.end());
    await expect(migrate(client)).rejects.toThrow(
      new Error('migrate: no schema of the search_path exists (current_schema() is null)'),
    );
    // Rolled back: the session is usable, out of any transaction.
    expect((await client.query<{ s: boolean }>('SELECT now() = statement_timestamp() AS s')).rows[0]?.s).toBe(
      true,
    );
  });
});
