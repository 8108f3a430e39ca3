import { createServer, type Server } from 'node:net';
import { captureLogger, createTestSchema, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { OutboxListener } from '../../src/pg/outbox/listener.js';
import { OUTBOX_NOTIFY_CHANNEL } from '../../src/pg/outbox/sql.js';
import { defer, useCleanup } from './helpers.js';

useCleanup();

// The relay's LISTEN connection, on its own: what it wakes for, how it comes back after its
// connection is lost, and that close() leaves nothing behind.

/** A schema whose pool (and so the listener's own connection) carries a unique application_name. */
async function listenerWorld(label: string) {
  const db = await createTestSchema(label, { applicationName: (schema) => `lst_${schema}` });
  defer(() => db.drop());
  const appName = `lst_${db.schema}`;
  const admin = new pg.Client({ connectionString: db.connectionString });
  await admin.connect();
  defer(() => admin.end());
  const logger = captureLogger();
  let wakes = 0;
  const listener = new OutboxListener({
    pool: db.pool,
    schema: db.schema,
    onNotify: () => wakes++,
    logger,
  });
  defer(() => listener.close());
  /** Backends of the listener's connection (by its application_name). */
  const backends = async () =>
    (
      await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        appName,
      ])
    ).rows.map((r) => r.pid);
  const notify = (payload: string) =>
    admin.query('SELECT pg_notify($1, $2)', [OUTBOX_NOTIFY_CHANNEL, payload]);
  return { db, admin, logger, listener, backends, notify, wakes: () => wakes };
}

describe('OutboxListener', () => {
  it('wakes for its schema and for a notification without one, not for another schema', async () => {
    const w = await listenerWorld('lst_wake');
    await w.listener.start();
    expect(w.listener.listening).toBe(true);
    await w.notify('some_other_schema');
    await w.notify(w.db.schema); // the sentinel: once it is counted, the one before was seen too
    await waitFor(() => w.wakes() >= 1);
    expect(w.wakes()).toBe(1);
    await w.notify('');
    await waitFor(() => w.wakes() >= 2);
    expect(w.wakes()).toBe(2);
  });

  it('after its connection is killed: warns, reconnects, catches up with one wake, and listens again', async () => {
    const w = await listenerWorld('lst_lost');
    await w.listener.start();
    const [pid] = await w.backends();
    expect(pid).toBeTypeOf('number');
    await w.admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(() => w.logger.has('Outbox relay LISTEN connection lost', 'warn'));
    expect(w.listener.listening).toBe(false);
    await waitFor(() => w.logger.has('Outbox relay LISTEN connection restored', 'info'));
    expect(w.listener.listening).toBe(true);
    // The catch-up wake: inserts committed while it was gone sent nothing it could see.
    expect(w.wakes()).toBe(1);
    const backends = await w.backends();
    expect(backends).toHaveLength(1);
    expect(backends[0]).not.toBe(pid);
    await w.notify(w.db.schema);
    await waitFor(() => w.wakes() >= 2);
    expect(w.wakes()).toBe(2);
  });

  it('close() ends its connection and stops listening; closing twice, or before start, is fine', async () => {
    const w = await listenerWorld('lst_close');
    const unstarted = new OutboxListener({
      pool: w.db.pool,
      schema: 'x',
      onNotify: () => {},
      logger: w.logger,
    });
    await expect(unstarted.close()).resolves.toBeUndefined();
    await w.listener.start();
    expect(await w.backends()).toHaveLength(1);
    await w.listener.close();
    expect(w.listener.listening).toBe(false);
    await waitFor(async () => (await w.backends()).length === 0);
    await expect(w.listener.close()).resolves.toBeUndefined();
    // Closed on purpose: no "lost" warning, no reconnect.
    expect(w.logger.has('LISTEN connection lost')).toBe(false);
  });

  it('close() during start: the connection that was opening is ended, not left listening', async () => {
    const w = await listenerWorld('lst_close_start');
    const started = w.listener.start();
    await w.listener.close();
    await started;
    expect(w.listener.listening).toBe(false);
    await waitFor(async () => (await w.backends()).length === 0);
  });

  it('a server that is not there: start rejects, and each failed retry is logged with its error', async () => {
    // A port that refuses connections: bound, then closed.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
    defer(() => pool.end());
    const logger = captureLogger();
    const listener = new OutboxListener({ pool, schema: 'x', onNotify: () => {}, logger });
    defer(() => listener.close());
    await expect(listener.start()).rejects.toThrow(/ECONNREFUSED/);
    await waitFor(() => logger.has('Outbox relay LISTEN reconnect failed', 'debug'));
    const entry = logger.entries.find((e) => e.msg === 'Outbox relay LISTEN reconnect failed');
    const err = entry?.obj?.['err'];
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(listener.listening).toBe(false);
  });
});
