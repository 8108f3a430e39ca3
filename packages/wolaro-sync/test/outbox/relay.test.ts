import {
  captureLogger,
  createTestSchema,
  databaseUrl,
  redisUrl,
  sleep,
  startRedisServer,
  startTcpProxy,
  waitFor,
} from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { enqueue, migrate, OutboxRelay, versionedUpdate, withTransaction } from '../../src/pg/index.js';
import { defer, type GuildRow, type OutboxWorld, outboxWorld, useCleanup, versionsOf } from './helpers.js';

useCleanup();

function relayFor(w: OutboxWorld, options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
  const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 10_000, ...options });
  defer(() => relay.stop());
  return relay;
}

function enqueueConfig(w: OutboxWorld, guildId: string, version: number) {
  return withTransaction(w.pool, (client) =>
    enqueue(client, 'config:update', { guildId, settings: { version }, version }),
  );
}

function bump(
  w: OutboxWorld,
  guildId: string,
  extra: Partial<Parameters<typeof versionedUpdate<GuildRow>>[2]> = {},
) {
  return versionedUpdate<GuildRow>(w.pool, w.sync, {
    table: 'guilds',
    idColumn: 'guild_id',
    id: guildId,
    set: {},
    event: (row) => ({
      channel: 'config:update',
      payload: { guildId: row.guild_id, settings: row.settings },
    }),
    ...extra,
  });
}

describe('OutboxRelay', () => {
  it('start() sweeps rows left by earlier processes, in per-guild order, before it resolves', async () => {
    const w = await outboxWorld('relay_sweep');
    for (let v = 1; v <= 3; v++) {
      await enqueueConfig(w, '11', v);
      await enqueueConfig(w, '12', v);
    }
    const relay = relayFor(w, { notify: false });
    await relay.start();
    expect((await w.outbox()).map((r) => r.published)).toEqual(Array(6).fill(true));
    await waitFor(() => w.seen.length === 6);
    expect(versionsOf(w.seen, '11')).toEqual([1, 2, 3]);
    expect(versionsOf(w.seen, '12')).toEqual([1, 2, 3]);
    expect(relay.stats()).toMatchObject({
      running: true,
      published: 6,
      polls: 0,
      notifications: 0,
      wakes: 0,
    });
  });

  it('NOTIFY wakes it although the poll interval is 10 s; other schemas do not wake it', async () => {
    const w = await outboxWorld('relay_notify');
    const relay = relayFor(w, { pollIntervalMs: 10_000 });
    await relay.start();
    expect(relay.stats().listening).toBe(true);
    // Latency is measured by `npm run bench:e2e`; here: delivered with no poll at all.
    for (let v = 1; v <= 5; v++) {
      await enqueueConfig(w, '21', v);
      await waitFor(() => w.seen.length === v);
    }
    await waitFor(() => relay.stats().published === 5); // counted once the rows are marked
    expect(relay.stats().polls).toBe(0);
    expect(relay.stats().notifications).toBeGreaterThanOrEqual(5);

    const other = await createTestSchema('relay_notify_other', { max: 1 });
    defer(() => other.drop());
    await migrate(other.pool);
    const notified = relay.stats().notifications;
    await withTransaction(other.pool, (client) => enqueue(client, 'guild:reload', { guildId: '1' }));
    // Sentinel: a commit in its own schema after it; its NOTIFY arrives after any earlier one.
    await enqueueConfig(w, '21', 6);
    await waitFor(() => w.seen.length === 6 && relay.stats().notifications > notified);
    expect(relay.stats().notifications).toBe(notified + 1);
  });

  it('with notify: false (embedded PGlite), wake() and versionedUpdate({ relay }) deliver at once', async () => {
    const w = await outboxWorld('relay_wake');
    await w.addGuilds('31');
    const relay = relayFor(w, { notify: false, pollIntervalMs: 10_000 });
    await relay.start();
    await enqueueConfig(w, '30', 1);
    relay.wake();
    await waitFor(() => w.seen.length === 1, { timeoutMs: 500 });
    const result = await bump(w, '31', { publish: false, relay });
    expect(result.published).toBe(false);
    await waitFor(() => w.seen.length === 2, { timeoutMs: 500 });
    expect(w.seen[1]).toMatchObject({ guildId: '31', version: 1 });
    await waitFor(() => relay.stats().published === 2);
    expect(relay.stats()).toMatchObject({ listening: false, polls: 0, notifications: 0 });
  });

  it('prunes published rows older than pruneAfterMs (on its timer), never pending ones', async () => {
    const w = await outboxWorld('relay_prune');
    const relay = relayFor(w, { notify: false, pruneAfterMs: 3_600_000, pruneIntervalMs: 50 });
    for (let v = 1; v <= 3; v++) await enqueueConfig(w, '40', v);
    expect(await relay.drain()).toBe(3);
    await enqueueConfig(w, '40', 4); // pending
    const ids = (await w.outbox()).map((r) => r.id);
    await w.pool.query(
      `UPDATE sync_outbox SET published_at = now() - interval '2 hours', created_at = now() - interval '3 hours'
       WHERE id = ANY($1::bigint[])`,
      [ids.slice(0, 2)],
    );
    await w.pool.query(`UPDATE sync_outbox SET created_at = now() - interval '3 hours' WHERE id = $1`, [
      ids[3],
    ]);
    expect(await relay.prune()).toBe(2);
    expect((await w.outbox()).map((r) => r.id)).toEqual(ids.slice(2));

    await w.pool.query(`UPDATE sync_outbox SET published_at = now() - interval '61 minutes' WHERE id = $1`, [
      ids[2],
    ]);
    await relay.start(); // sweeps row 4 (published now, so kept) and prunes row 3 on the timer
    await waitFor(async () => (await w.outbox()).length === 1);
    expect(await w.outbox()).toMatchObject([{ id: ids[3], published: true }]);
    expect(relay.stats().pruned).toBe(3);
  });

  it('survives a Redis outage: the row stays pending with attempts + 1, retries back off, and it goes out after recovery', async () => {
    const w = await outboxWorld('relay_outage');
    const proxy = await startTcpProxy({ targetPort: Number(new URL(redisUrl()).port || 6379) });
    defer(() => proxy.close());
    const relaySync = await w.newSync({ redis: proxy.url('redis') });
    const logger = captureLogger();
    const relay = relayFor(w, { sync: relaySync, retryDelayMs: 100, maxRetryDelayMs: 400, logger });
    await relay.start();

    proxy.setMode('reset');
    await waitFor(() => !relaySync.transport.healthy);
    await enqueueConfig(w, '50', 1);
    await waitFor(
      async () => ((await w.outbox())[0]?.attempts ?? 0) >= 3 && relay.stats().consecutiveFailures >= 3,
      { timeoutMs: 5000 },
    );
    const [pending] = await w.outbox();
    expect(pending).toMatchObject({ published: false });
    expect(pending?.last_error).toBeTruthy();
    expect(relay.stats()).toMatchObject({ running: true, published: 0 });
    expect(relay.stats().consecutiveFailures).toBeGreaterThanOrEqual(3);
    // Backing off, not spinning: each failed attempt schedules one retry, after a delay that
    // doubles from retryDelayMs up to the maxRetryDelayMs cap (read from the log, not the clock).
    await waitFor(() => relay.stats().consecutiveFailures >= 5, { timeoutMs: 10_000 });
    const retries = logger.entries
      .filter(
        (e) => e.level === 'warn' && /^Outbox publish failed \(attempt \d+\), retrying in \d+ ms/.test(e.msg),
      )
      .map((e) => [e.obj?.['attempt'], e.obj?.['retryInMs']]);
    expect(retries.slice(0, 5)).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 400],
      [5, 400],
    ]);

    proxy.setMode('pass');
    await waitFor(() => w.seen.length === 1, { timeoutMs: 10_000 });
    expect(w.seen[0]).toMatchObject({ guildId: '50', version: 1, eventId: pending?.event_id });
    await waitFor(async () => (await w.outbox())[0]?.published === true && relay.stats().published === 1);
    expect(relay.stats().consecutiveFailures).toBe(0);
    expect(logger.has('Outbox relay recovered', 'info')).toBe(true);
  });

  it('keeps running when its redis-server is killed, and publishes once it is back', async () => {
    const w = await outboxWorld('relay_killed');
    await w.addGuilds('60');
    const server = await startRedisServer();
    defer(() => server.stop());
    // The relay reaches its redis-server through a proxy, so it stays cut off after the restart until
    // the subscriber below is back: the event cannot go out while nobody listens.
    const proxy = await startTcpProxy({ targetPort: Number(new URL(server.url).port) });
    defer(() => proxy.close());
    const relaySync = await w.newSync({ redis: proxy.url('redis') });
    const subscriber = await w.newSync({ redis: server.url, listen: ['config:update'] });
    const received: { guildId: string; version: number | undefined; eventId: string | undefined }[] = [];
    subscriber.subscribe('config:update', (e) => {
      received.push({ guildId: e.guildId, version: e.version, eventId: e.eventId });
    });
    const resyncs: number[] = [];
    subscriber.on('resync', ({ downtimeMs }) => resyncs.push(downtimeMs));
    const relay = relayFor(w, { sync: relaySync, retryDelayMs: 100, maxRetryDelayMs: 300 });
    await relay.start();
    await server.kill();
    // The write itself succeeds; its fast-path publish fails and the row is left to the relay.
    const result = await versionedUpdate<GuildRow>(w.pool, relaySync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '60',
      set: { settings: { down: true } },
      event: (row) => ({
        channel: 'config:update',
        payload: { guildId: row.guild_id, settings: row.settings },
      }),
      relay,
    });
    expect(result).toMatchObject({ version: 1, published: false });
    await waitFor(async () => ((await w.outbox())[0]?.attempts ?? 0) >= 2, { timeoutMs: 5000 });
    expect(relay.stats().running).toBe(true);
    proxy.setMode('reset');
    await server.restart();
    await waitFor(() => resyncs.length === 1, { timeoutMs: 10_000, message: 'the subscriber back' });
    expect(received).toEqual([]);
    proxy.setMode('pass');
    // The effect, not only the flag: a subscriber got the event of the row.
    await waitFor(() => received.length === 1, { timeoutMs: 10_000, message: 'the event at the subscriber' });
    const [row] = await w.outbox();
    expect(received).toEqual([{ guildId: '60', version: 1, eventId: row?.event_id }]);
    await waitFor(async () => (await w.outbox())[0]?.published === true && relay.stats().published === 1, {
      timeoutMs: 10_000,
    });
    expect(relay.stats().consecutiveFailures).toBe(0);
  });

  it('survives a Postgres outage: the LISTEN connection comes back and catches up on what it missed', async () => {
    const w = await outboxWorld('relay_pg_outage');
    const target = new URL(databaseUrl());
    const proxy = await startTcpProxy({
      targetHost: target.hostname,
      targetPort: Number(target.port || 5432),
    });
    defer(() => proxy.close());
    const pool = new pg.Pool({
      connectionString: proxy.url(w.db.connectionString),
      max: 3,
      connectionTimeoutMillis: 1000,
    });
    pool.on('error', () => {});
    defer(() => pool.end());
    const logger = captureLogger();
    const relay = relayFor(w, { pool, retryDelayMs: 100, maxRetryDelayMs: 300, logger });
    await relay.start();
    expect(relay.stats().listening).toBe(true);

    proxy.setMode('reset');
    await waitFor(() => !relay.stats().listening);
    // Committed (through another connection) while the relay cannot see Postgres: its NOTIFY is lost.
    await enqueueConfig(w, '85', 1);
    relay.wake();
    await waitFor(() => relay.stats().consecutiveFailures >= 1);
    expect(relay.stats().running).toBe(true);

    proxy.setMode('pass');
    await waitFor(() => w.seen.length === 1, { timeoutMs: 10_000 });
    expect(w.seen[0]).toMatchObject({ guildId: '85', version: 1 });
    await waitFor(() => relay.stats().listening, { timeoutMs: 10_000 });
    expect(logger.has('Outbox relay LISTEN connection lost', 'warn')).toBe(true);
  });

  it('publishes the events of one guild in version order under many concurrent writers (fast path + relay)', async () => {
    const w = await outboxWorld('relay_order', { max: 12 });
    await w.addGuilds('70', '71');
    // Uncontended, the fast path publishes right after COMMIT.
    expect((await bump(w, '71')).published).toBe(true);
    const relay = relayFor(w);
    await relay.start();
    const writes = Array.from({ length: 59 }, (_, i) =>
      bump(w, i % 3 === 2 ? '71' : '70', {
        relay,
        // Jitter inside the transaction so commits and fast paths interleave.
        beforeCommit: () => sleep(Math.random() * 3),
      }),
    );
    await Promise.all(writes);
    await waitFor(() => w.seen.length === 60, { timeoutMs: 10_000 });
    expect(versionsOf(w.seen, '70')).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(versionsOf(w.seen, '71')).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(w.seen.map((s) => s.eventId)).size).toBe(60);
    // Marked right after publishing; each row once (attempts counts every publish).
    await waitFor(async () => (await w.outbox()).every((r) => r.published));
    expect((await w.outbox()).map((r) => r.attempts)).toEqual(Array(60).fill(1));
  });
});
