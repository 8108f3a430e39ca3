import { createServer, type Socket } from 'node:net';
import { captureLogger, createTestSchema, databaseUrl, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidPayloadError, type SyncClient } from '../../src/index.js';
import { enqueue, migrate, OutboxRelay, withTransaction } from '../../src/pg/index.js';
import { tryDrainLock } from '../../src/pg/outbox/drain_lock.js';
import { TRY_DRAIN_LOCK_SQL } from '../../src/pg/outbox/sql.js';
import { defer, type OutboxWorld, outboxWorld, useCleanup, versionsOf } from './helpers.js';

useCleanup();

type RelayOptions = ConstructorParameters<typeof OutboxRelay>[0];

function relayFor(w: OutboxWorld, options: Partial<RelayOptions> = {}) {
  const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 600_000, ...options });
  defer(() => relay.stop());
  return relay;
}

const enqueueReload = (w: OutboxWorld, guildId: string) =>
  withTransaction(w.pool, (client) => enqueue(client, 'guild:reload', { guildId }));

const enqueueConfig = (w: OutboxWorld, guildId: string, version: number) =>
  withTransaction(w.pool, (client) =>
    enqueue(client, 'config:update', { guildId, settings: { version }, version }),
  );

/**
 * A publisher stand-in: records every publish (at the call) and ends it with `outcome`, which a
 * test swaps to make publishes fail or wait.
 */
function standInSync() {
  const stand = {
    sent: [] as { channel: string; guildId: unknown }[],
    outcome: (): Promise<void> => Promise.resolve(),
    sync: undefined as unknown as SyncClient,
  };
  stand.sync = {
    publishUntyped(channel: string, payload: Record<string, unknown>) {
      stand.sent.push({ channel, guildId: payload['guildId'] });
      return stand.outcome();
    },
  } as unknown as SyncClient;
  return stand;
}

/** A gate the stand-in's publishes wait on until `open()`. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Holds the outbox drain lock from another session (as a relay of another process would). */
async function holdDrainLockElsewhere(w: OutboxWorld): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: w.db.connectionString });
  await holder.connect();
  defer(() => holder.end());
  const { rows } = await holder.query<{ locked: boolean }>(TRY_DRAIN_LOCK_SQL);
  expect(rows[0]?.locked).toBe(true);
  return {
    async release() {
      await holder.query('SELECT pg_advisory_unlock_all()');
    },
  };
}

/** Lets the callbacks queued with setImmediate run (a relay woken by a lock release starts there). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const pendingCount = async (w: OutboxWorld) => (await w.outbox()).filter((r) => !r.published).length;

describe('OutboxRelay options', () => {
  it('lists every bad option with its reason', () => {
    let issues: readonly string[] = [];
    try {
      new OutboxRelay({
        pool: null,
        sync: 'client',
        notify: 'yes',
        pruneAfterMs: -1,
        pruneIntervalMs: 2 ** 31,
        connectTimeoutMs: 1.5,
        queryTimeoutMs: -1,
        logger: 5,
      } as never);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidOptionsError);
      issues = (err as InvalidOptionsError).issues;
    }
    expect(issues).toEqual([
      'pool: must be a pg.Pool',
      'sync: must be a SyncClient',
      'notify: must be true or false',
      'pruneAfterMs: must be >= 0',
      'pruneIntervalMs: must fit a timer (at most 2147483647)',
      'connectTimeoutMs: must be an integer',
      'queryTimeoutMs: must be >= 0',
      'logger: must be a pino-compatible logger',
    ]);
    const refusal = (options: Record<string, unknown>) => {
      try {
        new OutboxRelay({ pool: {}, sync: {}, ...options } as never);
      } catch (e) {
        return e as InvalidOptionsError;
      }
      return undefined;
    };
    expect(refusal({ pruneIntervalMs: 1.5, queryTimeoutMs: 1.5 })?.issues).toEqual([
      'pruneIntervalMs: must be an integer',
      'queryTimeoutMs: must be an integer',
    ]);
    const negative = refusal({ pruneIntervalMs: -1 });
    expect(negative?.issues).toEqual(['pruneIntervalMs: must be >= 0']);
    expect(negative?.message).toBe('OutboxRelay: invalid options: pruneIntervalMs: must be >= 0');
    expect(refusal({ connectTimeoutMs: -1 })?.issues).toEqual(['connectTimeoutMs: must be >= 0']);
  });

  it('wake() is ignored while stopped', async () => {
    const w = await outboxWorld('relay_wake_stopped');
    const relay = relayFor(w, { notify: false });
    await enqueueReload(w, '1');
    relay.wake();
    // Had the wake-up run a pass, this drain would find nothing left.
    expect(await relay.drain()).toBe(1);
    expect(relay.stats()).toMatchObject({ wakes: 1, lockBusy: 0 });
  });
});

describe('OutboxRelay start() and stop()', () => {
  it('start() refuses a schema migrate() has not run in, naming it, and works once it has', async () => {
    const db = await createTestSchema('relay_unmigrated', { max: 2 });
    defer(() => db.drop());
    const logger = captureLogger();
    const relay = new OutboxRelay({ pool: db.pool, sync: standInSync().sync, notify: false, logger });
    defer(() => relay.stop());
    await expect(relay.start()).rejects.toThrow(
      new Error(
        `OutboxRelay: table sync_outbox not found in the search_path (current schema ${db.schema}): run migrate(pool) first`,
      ),
    );
    expect(relay.stats().running).toBe(false);
    await relay.stop();
    expect(logger.entries).toEqual([]);

    await migrate(db.pool);
    await relay.start();
    expect(relay.stats().running).toBe(true);

    // A search_path with no existing schema at all.
    const url = new URL(databaseUrl());
    url.searchParams.set('options', '-c search_path=wolaro_no_such_schema');
    const nowhere = new pg.Pool({ connectionString: url.toString(), max: 1 });
    defer(() => nowhere.end());
    const lost = new OutboxRelay({ pool: nowhere, sync: standInSync().sync, notify: false });
    await expect(lost.start()).rejects.toThrow(
      new Error(
        'OutboxRelay: table sync_outbox not found in the search_path (current schema none): run migrate(pool) first',
      ),
    );
    expect(logger.entries.map((e) => [e.msg, e.obj])).toEqual([
      [`Outbox relay started on ${db.schema}.sync_outbox`, { schema: db.schema, listening: false }],
    ]);
  });

  it('logs one start (schema, listening) and one stop however often they are called, and can start again', async () => {
    const w = await outboxWorld('relay_lifecycle');
    const logger = captureLogger();
    const relay = relayFor(w, { logger });
    await Promise.all([relay.start(), relay.start()]);
    await relay.start();
    expect(relay.stats()).toMatchObject({ running: true, listening: true });
    await relay.stop();
    await relay.stop();
    expect(relay.stats()).toMatchObject({ running: false, listening: false });
    const infos = () => logger.entries.filter((e) => e.level === 'info').map((e) => [e.msg, e.obj]);
    expect(infos()).toEqual([
      [`Outbox relay started on ${w.db.schema}.sync_outbox`, { schema: w.db.schema, listening: true }],
      ['Outbox relay stopped', {}],
    ]);

    // Started again: it follows new rows again.
    await relay.start();
    await enqueueConfig(w, '1', 1);
    await waitFor(() => w.seen.length === 1);
    await waitFor(() => relay.stats().published === 1);
    expect(infos()).toHaveLength(3);
  });

  it('stop() called while start() runs waits for it, then stops', async () => {
    const w = await outboxWorld('relay_stop_starting');
    await enqueueReload(w, '2');
    const logger = captureLogger();
    const relay = relayFor(w, { notify: false, logger });
    const started = relay.start();
    await relay.stop();
    await started;
    expect(relay.stats().running).toBe(false);
    expect(logger.entries.map((e) => e.msg)).toEqual([
      `Outbox relay started on ${w.db.schema}.sync_outbox`,
      'Outbox relay stopped',
    ]);
    // The sweep of start() ran to the end before the stop.
    expect(relay.stats().published).toBe(1);
  });

  it('starts without LISTEN when its connection cannot open in connectTimeoutMs, polls, and LISTENs once it can', async () => {
    const w = await outboxWorld('relay_listen_late');
    // A server that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    defer(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const pool = new pg.Pool({ connectionString: w.db.connectionString, max: 1 });
    defer(() => pool.end());
    await pool.query('SELECT 1'); // the pool keeps this connection; only new ones go to the silent server
    const real = pool.options.connectionString;
    const silentUrl = new URL(String(real));
    silentUrl.port = String((silent.address() as { port: number }).port);
    pool.options.connectionString = silentUrl.toString();
    await enqueueConfig(w, '3', 1);

    const logger = captureLogger();
    const relay = relayFor(w, { pool, connectTimeoutMs: 100, logger });
    await relay.start();
    expect(relay.stats()).toMatchObject({ running: true, listening: false, published: 1 });
    const warned = logger.entries.filter((e) => e.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0]?.msg).toMatch(/^Outbox relay cannot LISTEN yet, polling until it can: \S/);
    expect(warned[0]?.obj?.['err']).toBeInstanceOf(Error);
    expect(logger.entries.filter((e) => e.level === 'info').map((e) => e.obj)).toEqual([
      { schema: w.db.schema, listening: false },
    ]);
    // Its reconnects fail too (quietly) until the server answers again.
    await waitFor(() => logger.has('Outbox relay LISTEN reconnect failed', 'debug'), { timeoutMs: 5000 });
    pool.options.connectionString = real;
    await waitFor(() => relay.stats().listening, { timeoutMs: 10_000 });
    expect(logger.has('Outbox relay LISTEN connection restored', 'info')).toBe(true);
    // Restored: it looked for rows missed meanwhile, then NOTIFY wakes it again.
    await waitFor(() => relay.stats().notifications >= 1);
    const before = relay.stats().notifications;
    await enqueueConfig(w, '3', 2);
    await waitFor(() => versionsOf(w.seen, '3').length === 2);
    expect(versionsOf(w.seen, '3')).toEqual([1, 2]);
    await waitFor(() => relay.stats().notifications > before);
  });
});

describe('OutboxRelay passes', () => {
  it('drain() publishes every batch of batchSize rows, in id order, started or not', async () => {
    const w = await outboxWorld('relay_batches');
    for (let v = 1; v <= 5; v++) await enqueueConfig(w, '4', v);
    const relay = relayFor(w, { notify: false, batchSize: 2 });
    expect(await relay.drain()).toBe(5);
    expect(relay.stats()).toMatchObject({ published: 5, running: false });
    await waitFor(() => w.seen.length === 5);
    expect(versionsOf(w.seen, '4')).toEqual([1, 2, 3, 4, 5]);
    expect(await relay.drain()).toBe(0);
  });

  it('a wake-up while a pass runs is folded into one more pass', async () => {
    const w = await outboxWorld('relay_fold');
    const stand = standInSync();
    const relay = relayFor(w, { sync: stand.sync, notify: false });
    await relay.start();
    const held = gate();
    stand.outcome = () => held.opened;
    await enqueueReload(w, '5');
    relay.wake();
    await waitFor(() => stand.sent.length === 1);
    await enqueueReload(w, '6');
    relay.wake();
    relay.wake();
    held.open();
    await waitFor(async () => (await pendingCount(w)) === 0);
    expect(stand.sent.map((s) => s.guildId)).toEqual(['5', '6']);
    expect(relay.stats()).toMatchObject({ published: 2, wakes: 3, polls: 0 });
  });

  it('a stop during a background pass ends it after the batch in flight', async () => {
    const w = await outboxWorld('relay_stop_midpass');
    const stand = standInSync();
    const relay = relayFor(w, { sync: stand.sync, notify: false, batchSize: 2 });
    await relay.start();
    for (let i = 0; i < 5; i++) await enqueueReload(w, String(10 + i));
    const held = gate();
    stand.outcome = () => held.opened;
    relay.wake();
    await waitFor(() => stand.sent.length === 2);
    const stopped = relay.stop();
    held.open();
    await stopped;
    expect(relay.stats()).toMatchObject({ running: false, published: 2 });
    expect(await pendingCount(w)).toBe(3);
  });

  it('backs off after failed publishes, logs each, and logs the recovery once', async () => {
    const w = await outboxWorld('relay_backoff');
    const stand = standInSync();
    let failures = 2;
    stand.outcome = () => (failures-- > 0 ? Promise.reject(new Error('bus down')) : Promise.resolve());
    const logger = captureLogger();
    const relay = relayFor(w, {
      sync: stand.sync,
      notify: false,
      retryDelayMs: 10,
      maxRetryDelayMs: 15,
      logger,
    });
    await relay.start();
    await enqueueReload(w, '20');
    relay.wake();
    await waitFor(() => relay.stats().published === 1);
    expect(relay.stats()).toMatchObject({ failures: 2, consecutiveFailures: 0, lastError: 'bus down' });
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.msg)).toEqual([
      'Outbox publish failed (attempt 1), retrying in 10 ms: bus down',
      'Outbox publish failed (attempt 2), retrying in 15 ms: bus down',
    ]);
    expect(
      warnings.map((e) => [
        e.obj?.['attempt'],
        e.obj?.['retryInMs'],
        (e.obj?.['err'] as Error | undefined)?.message,
      ]),
    ).toEqual([
      [1, 10, 'bus down'],
      [2, 15, 'bus down'],
    ]);
    expect((await w.outbox())[0]).toMatchObject({ published: true, attempts: 3, last_error: 'bus down' });
    // One more row goes out normally: the recovery is not logged again.
    await enqueueReload(w, '21');
    relay.wake();
    await waitFor(() => relay.stats().published === 2);
    const recovered = logger.entries.filter((e) => e.msg.startsWith('Outbox relay recovered'));
    expect(recovered.map((e) => [e.level, e.msg, e.obj])).toEqual([
      ['info', 'Outbox relay recovered, published 1 pending events', { failedAttempts: 2, published: 1 }],
    ]);
  });

  it('a wake-up while backing off waits for the retry', async () => {
    const w = await outboxWorld('relay_wake_backoff');
    const stand = standInSync();
    stand.outcome = () => Promise.reject(new Error('bus down'));
    const relay = relayFor(w, { sync: stand.sync, notify: false, retryDelayMs: 600_000 });
    await relay.start();
    await enqueueReload(w, '22');
    relay.wake();
    await waitFor(() => relay.stats().failures === 1);
    relay.wake();
    // drain() runs a pass of its own: had the wake-up run one, this would count a third failure.
    await expect(relay.drain()).rejects.toThrow('bus down');
    expect(relay.stats()).toMatchObject({ failures: 2, consecutiveFailures: 2, wakes: 2 });
    expect(stand.sent).toHaveLength(2);
    expect((await w.outbox())[0]).toMatchObject({ published: false, attempts: 2 });
  });

  it('sets aside a row its client refuses for good, counts it, and publishes the next one', async () => {
    const w = await outboxWorld('relay_dead');
    const stand = standInSync();
    stand.outcome = () =>
      stand.sent.length === 1
        ? Promise.reject(new InvalidPayloadError('guildId: not a snowflake', ['guildId: not a snowflake']))
        : Promise.resolve();
    const logger = captureLogger();
    const relay = relayFor(w, { sync: stand.sync, notify: false, logger });
    const dead = await enqueueReload(w, '23');
    await enqueueReload(w, '24');
    expect(await relay.drain()).toBe(1);
    expect(relay.stats()).toMatchObject({ deadLettered: 1, published: 1, failures: 0 });
    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => [e.msg, e.obj?.['outboxId'], e.obj?.['channel']])).toEqual([
      [
        `Outbox row ${dead} on guild:reload can never be published, set aside: guildId: not a snowflake`,
        dead,
        'guild:reload',
      ],
    ]);
    const { rows } = await w.pool.query<{ failed: boolean; attempts: number; last_error: string }>(
      'SELECT failed_at IS NOT NULL AS failed, attempts, last_error FROM sync_outbox ORDER BY id',
    );
    expect(rows).toEqual([
      { failed: true, attempts: 1, last_error: 'guildId: not a snowflake' },
      { failed: false, attempts: 1, last_error: null },
    ]);
  });
});

describe('OutboxRelay back-off corners', () => {
  it('a lock released in this process does not cut a failure back-off short', async () => {
    const w = await outboxWorld('relay_backoff_lock');
    const stand = standInSync();
    stand.outcome = () => Promise.reject(new Error('bus down'));
    const relay = relayFor(w, { sync: stand.sync, notify: false, retryDelayMs: 600_000 });
    await relay.start();
    await enqueueReload(w, '50');
    relay.wake();
    await waitFor(() => relay.stats().failures === 1);
    const client = await w.pool.connect();
    defer(() => client.release());
    const lock = await tryDrainLock(client);
    await lock?.release();
    await turn();
    // drain() runs a pass of its own: had the release started one, this would count a third
    // failure, or the two passes would meet at the lock.
    await expect(relay.drain()).rejects.toThrow('bus down');
    expect(relay.stats()).toMatchObject({ failures: 2, lockBusy: 0 });
  });

  it('stop() during a back-off drops the pending retry: a new start() sweeps at once', async () => {
    const w = await outboxWorld('relay_backoff_restart');
    const stand = standInSync();
    stand.outcome = () => Promise.reject(new Error('bus down'));
    const relay = relayFor(w, { sync: stand.sync, notify: false, retryDelayMs: 600_000 });
    await relay.start();
    await enqueueReload(w, '51');
    relay.wake();
    await waitFor(() => relay.stats().failures === 1);
    await relay.stop();
    stand.outcome = () => Promise.resolve();
    await relay.start();
    expect(relay.stats()).toMatchObject({ published: 1, consecutiveFailures: 0 });
  });

  it('a pass that fails after stop() leaves no retry behind: a new start() sweeps at once', async () => {
    const w = await outboxWorld('relay_fail_after_stop');
    const stand = standInSync();
    const relay = relayFor(w, { sync: stand.sync, notify: false, retryDelayMs: 600_000 });
    await relay.start();
    await enqueueReload(w, '52');
    const held = gate();
    stand.outcome = () => held.opened.then(() => Promise.reject(new Error('bus down')));
    relay.wake();
    await waitFor(() => stand.sent.length === 1);
    const stopped = relay.stop();
    held.open();
    await stopped;
    expect(relay.stats()).toMatchObject({ running: false, failures: 1 });
    stand.outcome = () => Promise.resolve();
    await relay.start();
    expect(relay.stats().published).toBe(1);
  });

  it('a pass after a failure streak that finds nothing left ends the streak too', async () => {
    const w = await outboxWorld('relay_recover_empty');
    const stand = standInSync();
    stand.outcome = () => Promise.reject(new Error('bus down'));
    const logger = captureLogger();
    const relay = relayFor(w, { sync: stand.sync, notify: false, logger });
    const id = await enqueueReload(w, '56');
    await expect(relay.drain()).rejects.toThrow('bus down');
    await w.pool.query('UPDATE sync_outbox SET published_at = now() WHERE id = $1', [id]);
    expect(await relay.drain()).toBe(0);
    expect(relay.stats().consecutiveFailures).toBe(0);
    expect(logger.entries.filter((e) => e.level === 'info').map((e) => [e.msg, e.obj])).toEqual([
      ['Outbox relay recovered, published 0 pending events', { failedAttempts: 1, published: 0 }],
    ]);
  });

  it.each(['this process', 'another process'])(
    'after waiting for a lock held in %s, a later failure back-off is not cut short by a lock release',
    async (where) => {
      const w = await outboxWorld('relay_busy_then_backoff');
      const stand = standInSync();
      const relay = relayFor(w, {
        sync: stand.sync,
        notify: false,
        retryDelayMs: 600_000,
        busyRetryMs: where === 'this process' ? 600_000 : 10,
      });
      await relay.start();
      const client = await w.pool.connect();
      defer(() => client.release());
      if (where === 'this process') {
        const lock = await tryDrainLock(client);
        await enqueueReload(w, '57');
        relay.wake();
        await waitFor(() => relay.stats().lockBusy === 1);
        await lock?.release();
      } else {
        const lock = await holdDrainLockElsewhere(w);
        await enqueueReload(w, '57');
        relay.wake();
        await waitFor(() => relay.stats().lockBusy >= 2);
        await lock.release();
      }
      await waitFor(() => relay.stats().published === 1);
      stand.outcome = () => Promise.reject(new Error('bus down'));
      await enqueueReload(w, '58');
      relay.wake();
      await waitFor(() => relay.stats().failures === 1);
      const busyBefore = relay.stats().lockBusy;
      const lock = await tryDrainLock(client);
      await lock?.release();
      await turn();
      // drain() runs a pass of its own: had the release started one, this would count a third
      // failure, or the two passes would meet at the lock.
      await expect(relay.drain()).rejects.toThrow('bus down');
      expect(relay.stats()).toMatchObject({ failures: 2, lockBusy: busyBefore });
    },
  );

  it('a lock wait ended by stop() is not carried into a restart: a lock release then does not cut a back-off short', async () => {
    const w = await outboxWorld('relay_busy_stop_restart');
    const stand = standInSync();
    const relay = relayFor(w, {
      sync: stand.sync,
      notify: false,
      retryDelayMs: 600_000,
      busyRetryMs: 600_000,
    });
    await relay.start();
    const client = await w.pool.connect();
    defer(() => client.release());
    const held = await tryDrainLock(client);
    await enqueueReload(w, '59');
    relay.wake();
    await waitFor(() => relay.stats().lockBusy === 1);
    await relay.stop();
    await held?.release();
    stand.outcome = () => Promise.reject(new Error('bus down'));
    await relay.start(); // its first pass fails: the next one is 600 s away
    expect(relay.stats().failures).toBe(1);
    const lock = await tryDrainLock(client);
    await lock?.release();
    await turn();
    // drain() runs a pass of its own: had the release started one, this would count a third failure.
    await expect(relay.drain()).rejects.toThrow('bus down');
    expect(relay.stats()).toMatchObject({ failures: 2, lockBusy: 1 });
  });

  it('logs the recovery with the rows of the batch that went out, not a batch of rows set aside', async () => {
    const w = await outboxWorld('relay_recover_dead');
    const stand = standInSync();
    const outcomes = [
      () => Promise.reject(new Error('bus down')),
      () => Promise.reject(new InvalidPayloadError('refused', ['refused'])),
    ];
    stand.outcome = () => (outcomes.shift() ?? (() => Promise.resolve()))();
    const logger = captureLogger();
    const relay = relayFor(w, { sync: stand.sync, notify: false, batchSize: 1, retryDelayMs: 10, logger });
    await enqueueReload(w, '53');
    await enqueueReload(w, '54');
    await enqueueReload(w, '55');
    await expect(relay.drain()).rejects.toThrow('bus down');
    // One pass: the first row is set aside (a full batch with nothing published), then the others go
    // out one batch each; the streak ends with the first batch that published.
    expect(await relay.drain()).toBe(2);
    expect(relay.stats()).toMatchObject({ deadLettered: 1, published: 2, consecutiveFailures: 0 });
    expect(
      logger.entries.filter((e) => e.msg.startsWith('Outbox relay recovered')).map((e) => e.obj),
    ).toEqual([{ failedAttempts: 1, published: 1 }]);
  });
});

describe('OutboxRelay and a busy drain lock', () => {
  it('drain() waits while another process holds the lock, then publishes', async () => {
    const w = await outboxWorld('relay_drain_busy');
    const lock = await holdDrainLockElsewhere(w);
    await enqueueReload(w, '30');
    const relay = relayFor(w, { notify: false, busyRetryMs: 10 });
    const drained = relay.drain();
    await waitFor(() => relay.stats().lockBusy >= 2);
    expect(await pendingCount(w)).toBe(1);
    await lock.release();
    expect(await drained).toBe(1);
    expect(await pendingCount(w)).toBe(0);
  });

  it('a started relay retries after busyRetryMs while another process holds the lock', async () => {
    const w = await outboxWorld('relay_busy_elsewhere');
    const lock = await holdDrainLockElsewhere(w);
    const relay = relayFor(w, { notify: false, busyRetryMs: 10 });
    await relay.start();
    expect(relay.stats().lockBusy).toBe(1);
    await enqueueReload(w, '31');
    relay.wake();
    await waitFor(() => relay.stats().lockBusy >= 3);
    await lock.release();
    await waitFor(async () => (await pendingCount(w)) === 0);
    expect(relay.stats().published).toBe(1);
  });

  it('goes at once when a publisher of this process releases the lock, without waiting for busyRetryMs', async () => {
    const w = await outboxWorld('relay_busy_here');
    const relay = relayFor(w, { notify: false, busyRetryMs: 600_000 });
    await relay.start();
    const client = await w.pool.connect();
    defer(() => client.release());
    const lock = await tryDrainLock(client);
    expect(lock).toBeDefined();
    await enqueueReload(w, '32');
    relay.wake();
    await waitFor(() => relay.stats().lockBusy === 1);
    await lock?.release();
    await waitFor(async () => (await pendingCount(w)) === 0);
    expect(relay.stats()).toMatchObject({ published: 1, lockBusy: 1 });
  });
});

describe('OutboxRelay prune()', () => {
  /** Inserts `count` rows published two hours ago. */
  const oldPublished = (w: OutboxWorld, count: number) =>
    w.pool.query(
      `INSERT INTO sync_outbox (channel, payload, event_id, published_at)
       SELECT 'guild:reload', '{}', 'old-' || g, now() - interval '2 hours' FROM generate_series(1, $1::int) AS g`,
      [count],
    );

  it('deletes in chunks until none is left, counts and logs it', async () => {
    const w = await outboxWorld('relay_prune_chunks');
    await oldPublished(w, 5001);
    const logger = captureLogger();
    const relay = relayFor(w, { notify: false, pruneAfterMs: 3_600_000, logger });
    expect(await relay.prune()).toBe(5001);
    expect(relay.stats().pruned).toBe(5001);
    expect((await w.pool.query('SELECT count(*)::int AS n FROM sync_outbox')).rows[0]?.n).toBe(0);
    expect(logger.entries.map((e) => [e.level, e.msg, e.obj])).toEqual([
      ['debug', 'Pruned 5001 published outbox rows', { pruned: 5001 }],
    ]);
    // Nothing to prune: nothing logged.
    expect(await relay.prune()).toBe(0);
    expect(logger.entries).toHaveLength(1);
  });

  it('with pruneAfterMs 0 keeps every row, and with pruneIntervalMs 0 has no timer', async () => {
    const w = await outboxWorld('relay_prune_off');
    await oldPublished(w, 2);
    const keepAll = relayFor(w, { notify: false, pruneAfterMs: 0 });
    expect(await keepAll.prune()).toBe(0);
    const noTimer = relayFor(w, {
      notify: false,
      pruneAfterMs: 1000,
      pruneIntervalMs: 0,
      pollIntervalMs: 20,
    });
    await noTimer.start();
    // The poll timer is the clock: a prune timer would have run long before the third poll.
    await waitFor(() => noTimer.stats().polls >= 3);
    expect(noTimer.stats().pruned).toBe(0);
    expect((await w.outbox()).length).toBe(2);
    // prune() itself still works.
    expect(await noTimer.prune()).toBe(2);
  });

  it('gives up a prune after queryTimeoutMs, and its timer logs the failure', async () => {
    const w = await outboxWorld('relay_prune_timeout');
    await oldPublished(w, 1);
    const locker = new pg.Client({ connectionString: w.db.connectionString });
    await locker.connect();
    defer(() => locker.end());
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM sync_outbox FOR UPDATE');
    defer(() => locker.query('ROLLBACK'));
    const logger = captureLogger();
    const relay = relayFor(w, {
      notify: false,
      pruneAfterMs: 3_600_000,
      pruneIntervalMs: 20,
      queryTimeoutMs: 100,
      logger,
    });
    await expect(relay.prune()).rejects.toThrow('Query read timeout');
    await relay.start();
    await waitFor(() => logger.has('Outbox prune failed', 'warn'));
    const warning = logger.entries.find((e) => e.msg.startsWith('Outbox prune failed'));
    expect(warning?.msg).toBe('Outbox prune failed: Query read timeout');
    expect((warning?.obj?.['err'] as Error | undefined)?.message).toBe('Query read timeout');
  });
});

describe('OutboxRelay LISTEN connection', () => {
  it('a lost LISTEN connection is logged, comes back, and the relay catches up', async () => {
    const w = await outboxWorld('relay_listen_lost');
    const url = new URL(w.db.connectionString);
    const app = `listen_lost_${w.db.schema}`.slice(0, 60);
    url.searchParams.set('application_name', app);
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    pool.on('error', () => {});
    defer(() => pool.end());
    const logger = captureLogger();
    const relay = relayFor(w, { pool, logger });
    await relay.start();
    expect(relay.stats().listening).toBe(true);
    const { rowCount } = await w.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
      [app],
    );
    expect(rowCount).toBe(1);
    await waitFor(() => logger.has('Outbox relay LISTEN connection lost', 'warn'));
    const lost = logger.entries.filter((e) => e.msg.startsWith('Outbox relay LISTEN connection lost'));
    expect(lost).toHaveLength(1);
    expect(lost[0]?.msg).toMatch(/^Outbox relay LISTEN connection lost, polling until it is back: \S/);
    expect(lost[0]?.obj?.['err']).toBeInstanceOf(Error);
    await waitFor(() => relay.stats().listening, { timeoutMs: 10_000 });
    expect(logger.has('Outbox relay LISTEN connection restored', 'info')).toBe(true);
    await enqueueConfig(w, '40', 1);
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '40', version: 1 });
  });

  describe('in a database of its own (a NOTIFY without a payload wakes every relay of the database)', () => {
    let admin: pg.Client;
    let url: URL;
    const name = `wolaro_listen_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    beforeAll(async () => {
      admin = new pg.Client({ connectionString: databaseUrl() });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      url = new URL(databaseUrl());
      url.pathname = `/${name}`;
    });
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });

    it('a NOTIFY without a payload wakes it; one naming another schema does not', async () => {
      const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
      // The DROP DATABASE of afterAll ends what is left of its connections.
      pool.on('error', () => {});
      defer(() => pool.end());
      const { schema } = await migrate(pool);
      const relay = new OutboxRelay({ pool, sync: standInSync().sync, pollIntervalMs: 600_000 });
      defer(() => relay.stop());
      await relay.start();
      const before = relay.stats().notifications;
      await pool.query(`NOTIFY sync_outbox, 'another_schema'`);
      await pool.query('NOTIFY sync_outbox');
      await pool.query(`SELECT pg_notify('sync_outbox', $1)`, [schema]);
      // Delivered in order: once the last one is counted, the first two were handled.
      await waitFor(() => relay.stats().notifications >= before + 2);
      expect(relay.stats().notifications).toBe(before + 2);
    });
  });
});
