import { waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidPayloadError } from '../../src/index.js';
import {
  DefaultOutboxRelayOptions,
  DefaultPgNotifyTransportOptions,
  enqueueClaimedMany,
  OutboxRelay,
  PgNotifyTransport,
  publishAfterCommit,
  sql,
  versionedUpdate,
  versionedUpdateStatement,
  withTransaction,
} from '../../src/pg/index.js';
import { defer, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

/** Holds guild `id`'s row lock in another session until the test ends. */
async function lockRow(connectionString: string, id: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  defer(() => client.end());
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM guilds WHERE guild_id = $1 FOR UPDATE', [id]);
  defer(() => client.query('ROLLBACK'));
}

const sqlState = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: { code?: string }) => err.code ?? String(err),
  );

describe('time limits of the outbox writes', () => {
  it('withTransaction / versionedUpdate / versionedUpdateStatement give up on a locked row after lockTimeoutMs (55P03), writing nothing', async () => {
    const w = await outboxWorld('to_lock');
    await w.addGuilds('100');
    await lockRow(w.db.connectionString, '100');

    expect(
      await sqlState(
        withTransaction(w.pool, (c) => c.query("SELECT 1 FROM guilds WHERE guild_id = '100' FOR UPDATE"), {
          lockTimeoutMs: 100,
        }),
      ),
    ).toBe('55P03');
    const row = { table: 'guilds', idColumn: 'guild_id', id: '100', lockTimeoutMs: 100 };
    expect(
      await sqlState(
        versionedUpdate(w.pool, w.sync, {
          ...row,
          set: { settings: { prefix: '?' } },
          event: () => ({ channel: 'guild:reload', payload: { guildId: '100', reason: 'x' } }),
        }),
      ),
    ).toBe('55P03');
    expect(
      await sqlState(
        versionedUpdateStatement(w.pool, w.sync, {
          ...row,
          set: { settings: sql`settings || '{"prefix":"?"}'::jsonb` },
          event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
        }),
      ),
    ).toBe('55P03');
    expect(await w.outbox()).toEqual([]);
    // The limits were SET LOCAL: the pool's connections keep their own setting afterwards.
    expect((await w.pool.query('SHOW lock_timeout')).rows[0].lock_timeout).toBe('0');
  });

  it('refuses a limit that is not a whole number of milliseconds', async () => {
    const w = await outboxWorld('to_bad');
    await expect(withTransaction(w.pool, async () => 1, { lockTimeoutMs: -1 })).rejects.toThrow(
      /lock_timeout must be a whole number of milliseconds/,
    );
  });
});

describe('enqueueClaimedMany()', () => {
  it('writes every event in one statement, in order, and each is published after COMMIT', async () => {
    const w = await outboxWorld('to_many');
    const runs = ['a', 'b', 'c'].map((c) => ({
      channel: 'command:executed' as const,
      payload: { guildId: '100', command: c, executorId: '200', result: 'success' as const },
    }));
    const seen: string[] = [];
    const sub = await w.newSync({ listen: ['command:executed'] });
    sub.subscribe('command:executed', (e) => {
      seen.push(e.command);
    });
    const events = await withTransaction(w.pool, (client) => enqueueClaimedMany(client, runs));
    expect(events.map((e) => e.payload['command'])).toEqual(['a', 'b', 'c']);
    expect((await w.outbox()).map((r) => r.id)).toEqual(events.map((e) => e.id));
    for (const event of events) expect(await publishAfterCommit(w.pool, w.sync, event)).toBe(true);
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect((await w.outbox()).every((r) => r.published)).toBe(true);
  });

  it('writes nothing when one event breaks its channel contract', async () => {
    const w = await outboxWorld('to_many_bad');
    await expect(
      withTransaction(w.pool, (client) =>
        enqueueClaimedMany(client, [
          { channel: 'guild:reload', payload: { guildId: '100', reason: 'ok' } },
          { channel: 'guild:reload', payload: { guildId: 'not-a-snowflake', reason: 'bad' } },
        ]),
      ),
    ).rejects.toBeInstanceOf(InvalidPayloadError);
    expect(await w.outbox()).toEqual([]);
    expect(await withTransaction(w.pool, (client) => enqueueClaimedMany(client, []))).toEqual([]);
  });
});

describe('relay and NOTIFY transport time limits', () => {
  it('has documented defaults and refuses bad values', () => {
    expect(DefaultOutboxRelayOptions).toMatchObject({ connectTimeoutMs: 5000, queryTimeoutMs: 10_000 });
    expect(DefaultPgNotifyTransportOptions).toMatchObject({
      reconnectDelayMs: 100,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 5000,
    });
    const pool = new pg.Pool();
    defer(() => pool.end());
    expect(() => new OutboxRelay({ pool, sync: {} as never, queryTimeoutMs: -1 })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new PgNotifyTransport({ pool, connectTimeoutMs: 1.5 })).toThrow(InvalidOptionsError);
  });

  it('a relay whose pool has no free connection gives up after connectTimeoutMs instead of waiting', async () => {
    const w = await outboxWorld('to_relay', { max: 1 });
    const held = await w.pool.connect();
    let released = false;
    defer(() => released || held.release());
    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, notify: false, connectTimeoutMs: 100 });
    await expect(relay.drain()).rejects.toThrow('No Postgres connection within 100 ms');
    held.release();
    released = true;
    // The connection that came late went back to the pool: the next drain works.
    await expect(relay.drain()).resolves.toBe(0);
  });
});
