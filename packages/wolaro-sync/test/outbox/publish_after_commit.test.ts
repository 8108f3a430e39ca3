import { captureLogger, redisUrl, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/index.js';
import { enqueue, enqueueClaimed, publishAfterCommit, withTransaction } from '../../src/pg/index.js';
import { releaseClaims } from '../../src/pg/outbox/publish_after_commit.js';
import { TRY_DRAIN_LOCK_SQL } from '../../src/pg/outbox/sql.js';
import {
  defer,
  type OutboxWorld,
  outboxWorld,
  recordPoolStatements,
  useCleanup,
  versionsOf,
  wakeCounter,
} from './helpers.js';

useCleanup();

/** An unclaimed row (left to publishAfterCommit(id) or a relay). */
const enqueueConfig = (w: OutboxWorld, guildId: string, version: number) =>
  withTransaction(w.pool, (client) =>
    enqueue(client, 'config:update', { guildId, settings: { version }, version }),
  );

/** A client that is not connected: every publish through it rejects. */
function brokenSync(w: OutboxWorld): SyncClient {
  const sync = new SyncClient({ redis: redisUrl(), keyPrefix: w.keyPrefix, listen: false });
  defer(() => sync.close());
  return sync;
}

/** A pool of the world's schema that is already ended: every query rejects. */
async function endedPool(w: OutboxWorld): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: w.db.connectionString, max: 1 });
  await pool.end();
  return pool;
}

describe('publishAfterCommit(outboxId) (a row from enqueue())', () => {
  it("publishes the guild's pending rows up to the row, in id order, and leaves later rows and other guilds pending", async () => {
    const w = await outboxWorld('pac_upto');
    const relay = wakeCounter();
    const a1 = await enqueueConfig(w, '1', 1);
    const b1 = await enqueueConfig(w, '2', 1);
    const a2 = await enqueueConfig(w, '1', 2);
    const a3 = await enqueueConfig(w, '1', 3);

    expect(await publishAfterCommit(w.pool, w.sync, a2, { relay })).toBe(true);
    expect(relay.wakes).toBe(0);
    const rows = await w.outbox();
    expect(rows.map((r) => [r.id, r.published, r.attempts])).toEqual([
      [a1, true, 1],
      [b1, false, 0],
      [a2, true, 1],
      [a3, false, 0],
    ]);
    // The sentinel: the next row of guild 1 goes out after anything the first call sent.
    expect(await publishAfterCommit(w.pool, w.sync, a3, { relay })).toBe(true);
    await waitFor(() => versionsOf(w.seen, '1').length === 3);
    expect(versionsOf(w.seen, '1')).toEqual([1, 2, 3]);
    expect(versionsOf(w.seen, '2')).toEqual([]);
    expect(w.seen.map((s) => s.eventId)).toEqual(
      [a1, a2, a3].map((id) => rows.find((r) => r.id === id)?.event_id),
    );
  });

  it('with a pool, runs the whole pass on one checked-out connection (lock, read, mark, unlock)', async () => {
    const w = await outboxWorld('pac_one_conn');
    const id = await enqueueConfig(w, '3', 1);
    const recorder = recordPoolStatements(w.pool);
    defer(() => recorder.stop());
    expect(await publishAfterCommit(w.pool, w.sync, id)).toBe(true);
    recorder.stop();
    expect(recorder.statements).toEqual([]);
    expect(await w.outbox()).toMatchObject([{ id, published: true, attempts: 1 }]);
    // The session lock was released with the connection's own session: a second pass gets it.
    const next = await enqueueConfig(w, '3', 2);
    expect(await publishAfterCommit(w.pool, w.sync, next)).toBe(true);
  });

  it('with a client outside a transaction, uses that client and leaves it connected', async () => {
    const w = await outboxWorld('pac_client');
    const id = await enqueueConfig(w, '4', 1);
    const client = await w.pool.connect();
    defer(() => client.release());
    expect(await publishAfterCommit(client, w.sync, id)).toBe(true);
    expect(await w.outbox()).toMatchObject([{ id, published: true }]);
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '4', version: 1 });
    expect((await client.query<{ n: number }>('SELECT 5 AS n')).rows[0]?.n).toBe(5);
  });

  it('leaves the row to the relay and wakes it when another publisher holds the drain lock', async () => {
    const w = await outboxWorld('pac_busy');
    const holder = new pg.Client({ connectionString: w.db.connectionString });
    await holder.connect();
    defer(() => holder.end());
    const { rows } = await holder.query<{ locked: boolean }>(TRY_DRAIN_LOCK_SQL);
    expect(rows[0]?.locked).toBe(true);
    const id = await enqueueConfig(w, '5', 1);
    const relay = wakeCounter();
    const logger = captureLogger();

    expect(await publishAfterCommit(w.pool, w.sync, id, { relay, logger })).toBe(false);
    expect(relay.wakes).toBe(1);
    const debug = logger.entries.filter((e) => e.level === 'debug');
    expect(debug.map((e) => [e.msg, e.obj])).toEqual([
      [`Outbox row ${id} left to the relay: another publisher holds the lock`, { outboxId: id }],
    ]);
    expect(await w.outbox()).toMatchObject([{ id, published: false, attempts: 0 }]);

    await holder.query('SELECT pg_advisory_unlock_all()');
    expect(await publishAfterCommit(w.pool, w.sync, id, { relay })).toBe(true);
    expect(relay.wakes).toBe(1);
  });

  it('a failed publish records the attempt, logs it, wakes the relay, and releases the lock', async () => {
    const w = await outboxWorld('pac_fail');
    const id = await enqueueConfig(w, '6', 1);
    const relay = wakeCounter();
    const logger = captureLogger();

    expect(await publishAfterCommit(w.pool, brokenSync(w), id, { relay, logger })).toBe(false);
    expect(relay.wakes).toBe(1);
    const [row] = await w.outbox();
    expect(row).toMatchObject({ id, published: false, attempts: 1 });
    expect(row?.last_error).toBeTruthy();
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.msg)).toEqual([
      `Publish after commit failed, outbox row ${id} left to the relay: ${row?.last_error}`,
    ]);
    expect(warnings[0]?.obj).toMatchObject({ outboxId: id, err: expect.any(Error) });

    // The drain lock was released: the next call (through a connected client) gets it.
    expect(await publishAfterCommit(w.pool, w.sync, id, { relay })).toBe(true);
    expect(await w.outbox()).toMatchObject([{ id, published: true, attempts: 2 }]);
  });

  it('reports the row as published when someone else published or pruned it, and not when it was set aside', async () => {
    const w = await outboxWorld('pac_done');
    const relay = wakeCounter();
    const published = await enqueueConfig(w, '7', 1);
    expect(await publishAfterCommit(w.pool, w.sync, published, { relay })).toBe(true);
    // Already published: nothing pending up to it.
    expect(await publishAfterCommit(w.pool, w.sync, published, { relay })).toBe(true);
    expect(await w.outbox()).toMatchObject([{ id: published, attempts: 1 }]);

    const pruned = await enqueueConfig(w, '7', 2);
    await w.pool.query('UPDATE sync_outbox SET published_at = now() WHERE id = $1', [pruned]);
    await w.pool.query('DELETE FROM sync_outbox WHERE id = $1', [pruned]);
    expect(await publishAfterCommit(w.pool, w.sync, pruned, { relay })).toBe(true);
    expect(relay.wakes).toBe(0);

    const setAside = await enqueueConfig(w, '7', 3);
    await w.pool.query('UPDATE sync_outbox SET failed_at = now() WHERE id = $1', [setAside]);
    expect(await publishAfterCommit(w.pool, w.sync, setAside, { relay })).toBe(false);
    expect(relay.wakes).toBe(1);
    expect(versionsOf(w.seen, '7')).toEqual([1]);
  });

  it('publishes at most batchSize rows of the guild; the row left behind goes to the relay', async () => {
    const w = await outboxWorld('pac_batch');
    const relay = wakeCounter();
    const ids = [];
    for (let v = 1; v <= 3; v++) ids.push(await enqueueConfig(w, '8', v));
    const last = ids[2] ?? '';

    expect(await publishAfterCommit(w.pool, w.sync, last, { relay, batchSize: 2 })).toBe(false);
    expect(relay.wakes).toBe(1);
    expect((await w.outbox()).map((r) => r.published)).toEqual([true, true, false]);
    // The default batch (100) takes the rest.
    expect(await publishAfterCommit(w.pool, w.sync, last, { relay })).toBe(true);
    await waitFor(() => w.seen.length === 3);
    expect(versionsOf(w.seen, '8')).toEqual([1, 2, 3]);
  });

  it('never throws: a database error is logged and the row left to the relay', async () => {
    const w = await outboxWorld('pac_db_error');
    const id = await enqueueConfig(w, '9', 1);
    const relay = wakeCounter();
    const logger = captureLogger();

    expect(await publishAfterCommit(await endedPool(w), w.sync, id, { relay, logger })).toBe(false);
    expect(relay.wakes).toBe(1);
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.msg)).toEqual([
      `Publish after commit failed, outbox row ${id} left to the relay`,
    ]);
    expect(warnings[0]?.obj).toMatchObject({
      outboxId: id,
      err: expect.objectContaining({ message: expect.stringMatching(/pool/i) }),
    });
    // Without a logger it is silent, and still resolves.
    expect(await publishAfterCommit(await endedPool(w), w.sync, id)).toBe(false);
    expect(await w.outbox()).toMatchObject([{ id, published: false, attempts: 0 }]);
  });
});

describe('publishAfterCommit(event) (a claimed row)', () => {
  it('a failed publish is logged with its reason and the claim released with it', async () => {
    const w = await outboxWorld('pac_claimed_fail');
    const event = await withTransaction(w.pool, (client) =>
      enqueueClaimed(client, 'guild:reload', { guildId: '10', reason: 'r' }),
    );
    const relay = wakeCounter();
    const logger = captureLogger();
    expect(await publishAfterCommit(w.pool, brokenSync(w), event, { relay, logger })).toBe(false);
    expect(relay.wakes).toBe(1);
    const [row] = await w.outbox();
    expect(row).toMatchObject({ published: false, attempts: 1 });
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => [e.msg, e.obj?.['outboxId']])).toEqual(
      [
        [
          `Publish after commit failed, outbox row ${event.id} left to the relay: ${row?.last_error}`,
          event.id,
        ],
      ],
    );
    const { rows } = await w.pool.query<{ claimed: boolean }>(
      'SELECT claimed_until IS NOT NULL AS claimed FROM sync_outbox',
    );
    expect(rows).toEqual([{ claimed: false }]);
  });
});

describe('releaseClaims()', () => {
  it('drops the claims with the reason (cut at 1000 characters) and wakes the relay', async () => {
    const w = await outboxWorld('pac_release');
    const events = await withTransaction(w.pool, async (client) => [
      await enqueueClaimed(client, 'guild:reload', { guildId: '11' }),
      await enqueueClaimed(client, 'guild:reload', { guildId: '12' }),
    ]);
    const relay = wakeCounter();
    await releaseClaims(
      w.pool,
      events.map((e) => e.id),
      'x'.repeat(1500),
      { relay },
    );
    expect(relay.wakes).toBe(1);
    const { rows } = await w.pool.query<{ claimed: boolean; error_length: number; attempts: number }>(
      'SELECT claimed_until IS NOT NULL AS claimed, length(last_error) AS error_length, attempts FROM sync_outbox ORDER BY id',
    );
    expect(rows).toEqual([
      { claimed: false, error_length: 1000, attempts: 1 },
      { claimed: false, error_length: 1000, attempts: 1 },
    ]);
  });

  it('does nothing for an empty list: no statement, no wake-up', async () => {
    const w = await outboxWorld('pac_release_empty');
    const relay = wakeCounter();
    const recorder = recordPoolStatements(w.pool);
    defer(() => recorder.stop());
    await releaseClaims(w.pool, [], 'nothing', { relay });
    expect(recorder.statements).toEqual([]);
    expect(relay.wakes).toBe(0);
  });

  it('never throws: when the database cannot be reached the claims stay, with a warning, and the relay is woken', async () => {
    const w = await outboxWorld('pac_release_down');
    const relay = wakeCounter();
    const logger = captureLogger();
    const pool = await endedPool(w);
    await releaseClaims(pool, ['1', '2'], 'reason', { relay, logger });
    expect(relay.wakes).toBe(1);
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/^Outbox rows 1, 2 stay claimed until their claim lapses: .*pool/i);
    expect(warnings[0]?.obj).toMatchObject({ outboxIds: ['1', '2'], err: expect.any(Error) });
    // Without a logger: silent.
    await expect(releaseClaims(pool, ['1'], 'reason', {})).resolves.toBeUndefined();
  });
});
