import { createServer, type Server, Socket } from 'node:net';
import { captureLogger, createTestSchema, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { OutboxListener } from '../../src/pg/outbox/listener.js';
import { OUTBOX_NOTIFY_CHANNEL } from '../../src/pg/outbox/sql.js';
import { defer, useCleanup, wrapClientMethod } from './helpers.js';

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

/**
 * Runs `before` ahead of every LISTEN the listener sends (the only statement it sends) and `after`
 * once it has succeeded, before the listener's own code resumes; undone by the file's cleanup.
 */
function aroundListen(hooks: { before?: (client: pg.Client) => Promise<void>; after?: () => void }) {
  wrapClientMethod('query', (client, args, query) => {
    const run = () => query(...args) as Promise<unknown>;
    if (typeof args[0] !== 'string' || !args[0].startsWith('LISTEN ')) return run();
    return (hooks.before ? hooks.before(client).then(run) : run()).then((result) => {
      hooks.after?.();
      return result;
    });
  });
}

/** What pg keeps on a client that its types leave out. */
interface PgInternals {
  processID: number;
  connectionParameters: { application_name?: string };
}

/** Resolves once every timer due within `ms` from now has run (Node runs timers in deadline order). */
const timersDueWithin = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  it('asks for TCP keepalive on its connection, so a peer that vanished without a FIN is noticed', async () => {
    const w = await listenerWorld('lst_keepalive');
    const keepAlive = vi.spyOn(Socket.prototype, 'setKeepAlive');
    defer(() => keepAlive.mockRestore());
    await w.listener.start();
    const { rows } = await w.admin.query<{ port: number }>(
      'SELECT client_port AS port FROM pg_stat_activity WHERE application_name = $1',
      [`lst_${w.db.schema}`],
    );
    expect(rows).toHaveLength(1);
    const calls = keepAlive.mock.calls.filter((_, i) => {
      const socket = keepAlive.mock.contexts[i] as Socket;
      return socket.localPort === rows[0]?.port;
    });
    expect(calls.map(([enable]) => enable)).toEqual([true]);
  });

  it('close() landing between its LISTEN and the rest of start(): ends the connection, never reports it listening', async () => {
    const w = await listenerWorld('lst_close_listen');
    aroundListen({ after: () => void w.listener.close() });
    await w.listener.start();
    expect(w.listener.listening).toBe(false);
    await waitFor(async () => (await w.backends()).length === 0);
    expect(w.logger.has('LISTEN connection restored')).toBe(false);
  });

  it('a connection lost during its LISTEN: one reconnect is scheduled, not one per report of the loss', async () => {
    const w = await listenerWorld('lst_lost_listen');
    let first = true;
    let connects = 0;
    wrapClientMethod('connect', (client, args, connect) => {
      const params = (client as unknown as PgInternals).connectionParameters;
      if (params.application_name === `lst_${w.db.schema}`) connects++;
      return connect(...args);
    });
    aroundListen({
      // The first LISTEN goes out on a connection the server has just terminated: pg reports the
      // loss twice (an 'end' event, then the failed LISTEN), and both reach the listener.
      before: async (client) => {
        if (!first) return;
        first = false;
        const ended = new Promise((resolve) => client.once('end', resolve));
        await w.admin.query('SELECT pg_terminate_backend($1)', [
          (client as unknown as PgInternals).processID,
        ]);
        await ended;
      },
    });
    await expect(w.listener.start()).rejects.toThrow();
    // The second report would have scheduled its retry at most 200 ms out (the back-off's second
    // step): once a timer due after that has run, every retry scheduled so far has started.
    await timersDueWithin(250);
    expect(connects).toBe(2);
    await waitFor(() => w.listener.listening);
    expect(await w.backends()).toHaveLength(1);
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
    const failed = () => logger.entries.filter((e) => e.msg === 'Outbox relay LISTEN reconnect failed');
    await waitFor(() => failed().length >= 3, { timeoutMs: 10_000 });
    const err = failed()[0]?.obj?.['err'];
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(listener.listening).toBe(false);
    // The retries back off: 100 ms, then 200, then 400 (a timer never fires before its delay; the
    // log's clock counts whole milliseconds, hence the 1 ms of slack).
    const [a, b, c] = failed().map((e) => e.time);
    expect((b as number) - (a as number)).toBeGreaterThanOrEqual(199);
    expect((c as number) - (b as number)).toBeGreaterThanOrEqual(399);
  });
});
