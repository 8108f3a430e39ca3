import { captureLogger, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { enqueue, migrate, OutboxRelay, publishAfterCommit, withTransaction } from '../../src/pg/index.js';
import { connectWithin } from '../../src/pg/outbox/timeouts.js';
import { defer, failStatements, outboxWorld, releases, useCleanup } from './helpers.js';

useCleanup();

// A connection whose state is unknown after a failure (a transaction that may still be open, a
// drain lock that may still be held) is destroyed, not handed to the next caller of the pool.

const enqueueConfig = (pool: pg.Pool, guildId: string, version: number) =>
  withTransaction(pool, (client) =>
    enqueue(client, 'config:update', { guildId, settings: { version }, version }),
  );

describe('connections left in an unknown state are destroyed', () => {
  it('withTransaction: a failed COMMIT destroys the connection', async () => {
    const w = await outboxWorld('broken_commit');
    const released = releases(w.pool);
    failStatements(/^COMMIT$/, 'injected COMMIT failure');
    await expect(withTransaction(w.pool, async (client) => client.query('SELECT 1'))).rejects.toThrow(
      'injected COMMIT failure',
    );
    expect(released.map((err) => err?.message)).toEqual(['injected COMMIT failure']);
    // A transaction that ends normally gives its connection back for reuse.
    await withTransaction(w.pool, async (client) => client.query('SELECT 1'));
    expect(released.map((err) => err?.message)).toEqual(['injected COMMIT failure', undefined]);
  });

  it('migrate: a failed ROLLBACK after a failed step destroys the connection, and the step error is thrown', async () => {
    const w = await outboxWorld('broken_rollback');
    const released = releases(w.pool);
    failStatements(/^SELECT current_schema\(\)/, 'injected step failure');
    failStatements(/^ROLLBACK$/, 'injected ROLLBACK failure');
    await expect(migrate(w.pool)).rejects.toThrow('injected step failure');
    expect(released.map((err) => err?.message)).toEqual(['injected ROLLBACK failure']);
  });

  it('migrate with a pool runs on one checked-out connection, never through pool.query', async () => {
    const w = await outboxWorld('migrate_checkout');
    const released = releases(w.pool);
    const query = vi.spyOn(w.pool, 'query');
    defer(() => query.mockRestore());
    await expect(migrate(w.pool)).resolves.toMatchObject({ schema: w.db.schema, created: false });
    expect(query).not.toHaveBeenCalled();
    expect(released).toEqual([undefined]);
  });

  it('publishAfterCommit: a failed unlock destroys the connection that may still hold the drain lock', async () => {
    const w = await outboxWorld('broken_unlock_pac');
    const id = await enqueueConfig(w.pool, '1', 1);
    const released = releases(w.pool);
    failStatements(/pg_advisory_unlock/, 'injected unlock failure');
    expect(await publishAfterCommit(w.pool, w.sync, id)).toBe(true);
    expect(released.map((err) => err?.message)).toEqual(['injected unlock failure']);
    expect(await w.outbox()).toMatchObject([{ id, published: true }]);
  });

  it('relay: a failed unlock destroys its connection; the next pass takes the lock again', async () => {
    const w = await outboxWorld('broken_unlock_relay');
    await enqueueConfig(w.pool, '2', 1);
    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, notify: false });
    defer(() => relay.stop());
    const released = releases(w.pool);
    failStatements(/pg_advisory_unlock/, 'injected unlock failure');
    expect(await relay.drain()).toBe(1);
    expect(released.map((err) => err?.message)).toEqual(['injected unlock failure']);
    await enqueueConfig(w.pool, '2', 2);
    expect(await relay.drain()).toBe(1);
  });

  it('relay: a pass whose lock statement fails destroys its connection and reports that error', async () => {
    const w = await outboxWorld('broken_lock_relay');
    await enqueueConfig(w.pool, '3', 1);
    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, notify: false });
    defer(() => relay.stop());
    const released = releases(w.pool);
    failStatements(/pg_try_advisory_lock/, 'injected lock failure');
    await expect(relay.drain()).rejects.toThrow('injected lock failure');
    expect(relay.stats()).toMatchObject({ failures: 1, lastError: 'injected lock failure' });
    expect(released.map((err) => err?.message)).toEqual(['injected lock failure']);
  });

  it('a checked-out connection lost while idle is released with its error (and the process lives on)', async () => {
    const w = await outboxWorld('broken_idle_checkout');
    const released = releases(w.pool);
    const client = await connectWithin(w.pool);
    const lost = new Promise<Error>((resolve) => client.once('error', resolve));
    const admin = new pg.Client({ connectionString: w.db.connectionString });
    await admin.connect();
    defer(() => admin.end());
    await admin.query('SELECT pg_terminate_backend($1)', [
      (client as unknown as { processID: number }).processID,
    ]);
    const err = await lost;
    client.release();
    expect(released).toEqual([err]);
  });

  it('connectWithin leaves no timer behind once the connection came in time', async () => {
    const w = await outboxWorld('connect_within_timer');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    defer(() => vi.useRealTimers());
    const client = await connectWithin(w.pool, 600_000);
    expect(vi.getTimerCount()).toBe(0);
    client.release();
  });
});

describe('publishAfterCommit on the connection it checked out', () => {
  it('its own row went out: lock, publish, mark, unlock, and nothing more', async () => {
    const w = await outboxWorld('pac_statements');
    const id = await enqueueConfig(w.pool, '4', 1);
    const sent = recordCheckedOut(w.pool);
    expect(await publishAfterCommit(w.pool, w.sync, id)).toBe(true);
    expect(sent.map(kindOf)).toEqual(['lock', 'pending', 'mark', 'unlock']);
  });

  it('nothing left to publish (another publisher sent it): no mark statement', async () => {
    const w = await outboxWorld('pac_nothing');
    const id = await enqueueConfig(w.pool, '5', 1);
    expect(await publishAfterCommit(w.pool, w.sync, id)).toBe(true);
    const sent = recordCheckedOut(w.pool);
    expect(await publishAfterCommit(w.pool, w.sync, id)).toBe(true);
    expect(sent.map(kindOf)).toEqual(['lock', 'pending', 'done?', 'unlock']);
  });

  it('a mark that fails after the call resolved is logged with the row id and the error', async () => {
    const w = await outboxWorld('pac_mark_log');
    const event = await withTransaction(w.pool, (client) =>
      import('../../src/pg/index.js').then(({ enqueueClaimed }) =>
        enqueueClaimed(client, 'config:update', { guildId: '6', settings: {}, version: 1 }),
      ),
    );
    const logger = captureLogger();
    failStatements(/SET published_at = now\(\)/, 'injected mark failure');
    expect(await publishAfterCommit(w.pool, w.sync, event, { markDelayMs: 1, logger })).toBe(true);
    await waitFor(() => logger.has('published but not marked', 'warn'));
    const entry = logger.entries.find((e) => e.msg.includes('published but not marked'));
    expect(entry?.obj).toMatchObject({ outboxId: event.id, err: new Error('injected mark failure') });
  });

  it('accepts markDelayMs 0, the default', async () => {
    const w = await outboxWorld('pac_delay_zero');
    const id = await enqueueConfig(w.pool, '7', 1);
    expect(await publishAfterCommit(w.pool, w.sync, id, { markDelayMs: 0 })).toBe(true);
  });
});

/** The statements sent on connections checked out of `pool` from now on (not `pool.query`). */
function recordCheckedOut(pool: pg.Pool): string[] {
  const sent: string[] = [];
  const onAcquire = (client: pg.PoolClient) => {
    const query = client.query;
    client.query = ((...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      sent.push(typeof first === 'string' ? first : String(first.text));
      return (query as (...a: unknown[]) => unknown).apply(client, args);
    }) as typeof client.query;
    pool.once('release', () => {
      client.query = query;
    });
  };
  pool.on('acquire', onAcquire);
  defer(() => pool.off('acquire', onAcquire));
  return sent;
}

/** A short name for each statement of a publish pass. */
function kindOf(text: string): string {
  if (/pg_try_advisory_lock/.test(text)) return 'lock';
  if (/pg_advisory_unlock/.test(text)) return 'unlock';
  if (/SET published_at = now\(\)/.test(text)) return 'mark';
  if (/published_at IS NOT NULL AS published/.test(text)) return 'done?';
  if (/FROM sync_outbox|FROM "?sync_outbox/.test(text)) return 'pending';
  return text.slice(0, 40);
}
