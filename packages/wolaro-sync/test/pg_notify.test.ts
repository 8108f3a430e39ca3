import { databaseUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, SyncClient } from '../src/index.js';
import { NOTIFY_CHUNK_BYTES, PgNotifyTransport, splitForNotify } from '../src/pg/index.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function pair(keyPrefix: string): Promise<[SyncClient, SyncClient]> {
  const a = new SyncClient({
    transport: new PgNotifyTransport({ connectionString: databaseUrl() }),
    keyPrefix,
  });
  const b = new SyncClient({
    transport: new PgNotifyTransport({ connectionString: databaseUrl() }),
    keyPrefix,
  });
  cleanup.push(
    () => a.close(),
    () => b.close(),
  );
  await Promise.all([a.connect(), b.connect()]);
  return [a, b];
}

describe('PgNotifyTransport', () => {
  it('carries payloads over the 8000-byte NOTIFY limit, multi-byte text included', async () => {
    const [a, b] = await pair(uniquePrefix());
    const got: Record<string, unknown>[] = [];
    b.subscribe('config:update', (e) => {
      got.push(e.settings);
    });
    const big = { motd: 'é🎉x'.repeat(20_000), list: Array.from({ length: 500 }, (_, i) => `entry-${i}`) };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(100_000);
    await a.publishConfigUpdate('1', big, 1);
    await a.publishConfigUpdate('1', { small: true }, 2);
    await waitFor(() => got.length === 2, { timeoutMs: 10_000 });
    expect(got[0]).toEqual(big);
    expect(got[1]).toEqual({ small: true });
  });

  it('splits into chunks that each fit NOTIFY and never cut a surrogate pair', () => {
    const message = JSON.stringify({ s: '😀'.repeat(10_000) });
    const chunks = splitForNotify(message);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(Buffer.byteLength(c)).toBeLessThan(8000);
    const data = chunks.map((c) => c.replace(/^~wsc1:[0-9a-f-]{36}:\d+:\d+:/, '')).join('');
    expect(data).toBe(message);
    for (const c of chunks) expect(c.includes('\uFFFD')).toBe(false);
    expect(NOTIFY_CHUNK_BYTES).toBeLessThan(8000);
  });

  it('receives a plain NOTIFY from SQL, like redis-cli PUBLISH', async () => {
    const prefix = uniquePrefix();
    const [, b] = await pair(prefix);
    const got: unknown[] = [];
    b.subscribe('guild:reload', (e) => {
      got.push(e);
    });
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    cleanup.push(() => client.end());
    await client.query(`NOTIFY "${prefix}guild:reload", '{"guildId":"123"}'`);
    await client.query(`NOTIFY "${prefix}guild:reload", 'not json'`);
    await waitFor(() => got.length === 1 && b.stats().invalid === 1);
    expect(got[0]).toMatchObject({ guildId: '123' });
  });

  it('reconnects its LISTEN connection after the backend is terminated and emits resync', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await pair(prefix);
    const resyncs: number[] = [];
    b.on('resync', ({ downtimeMs }) => resyncs.push(downtimeMs));
    const got: string[] = [];
    b.subscribe('guild:reload', (e) => {
      got.push(e.reason ?? '');
    });
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    cleanup.push(() => admin.end());
    // Kill every session that LISTENs on our channel (the subscriber's LISTEN connections).
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND query LIKE $1`,
      [`%LISTEN "${prefix}%`],
    );
    await waitFor(() => resyncs.length >= 1, { timeoutMs: 10_000 });
    await waitFor(() => b.transport.healthy && a.transport.healthy, { timeoutMs: 10_000 });
    await a.publishGuildReload('1', 'after');
    await waitFor(() => got.includes('after'), { timeoutMs: 5000 });
  });
});

describe('PgNotifyTransport closed while it connects', () => {
  it('connect() rejects with ClosedError instead of waiting forever (pg never settles a connect ended midway)', async () => {
    const transport = new PgNotifyTransport({ connectionString: databaseUrl() });
    cleanup.push(() => transport.close());
    const connecting = transport.connect().then(
      () => 'connected',
      (err: Error) => err,
    );
    await transport.close();
    const outcome = await connecting;
    expect(outcome).toBeInstanceOf(ClosedError);
  });
});
