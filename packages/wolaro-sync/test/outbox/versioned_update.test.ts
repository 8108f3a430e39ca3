import { redisUrl, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { SyncClient, VersionConflictError } from '../../src/index.js';
import { OutboxRelay, RowNotFoundError, versionedUpdate } from '../../src/pg/index.js';
import { defer, type GuildRow, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

const configEvent = (row: GuildRow) => ({
  channel: 'config:update' as const,
  payload: { guildId: row.guild_id, settings: row.settings },
});

describe('versionedUpdate()', () => {
  it('bumps the version, enqueues, runs beforeCommit in the transaction and publishes right after COMMIT', async () => {
    const w = await outboxWorld('vu_happy');
    await w.addGuilds('100');
    const result = await versionedUpdate<GuildRow>(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '100',
      set: { settings: { prefix: '?' } },
      expectedVersion: 0,
      event: configEvent,
      beforeCommit: async (client, row) => {
        await client.query('INSERT INTO config_revisions VALUES ($1, $2, $3)', [
          row.guild_id,
          row.version,
          row.settings,
        ]);
      },
    });
    expect(result.version).toBe(1);
    expect(result.row).toMatchObject({ guild_id: '100', settings: { prefix: '?' }, version: 1 });
    expect(result.published).toBe(true);
    await waitFor(() => w.seen.length === 1);
    // The version was filled in from the row although the event builder left it out.
    expect(w.seen[0]).toMatchObject({ guildId: '100', version: 1 });
    const [row] = await w.outbox();
    expect(row).toMatchObject({ id: result.outboxIds[0], published: true, attempts: 1, version: '1' });
    expect(w.seen[0]?.eventId).toBe(row?.event_id);
    const revisions = await w.pool.query('SELECT guild_id, version FROM config_revisions');
    expect(revisions.rows).toEqual([{ guild_id: '100', version: 1 }]);
  });

  it('stale expectedVersion → VersionConflictError with the current version; row and outbox untouched', async () => {
    const w = await outboxWorld('vu_conflict');
    await w.addGuilds('200');
    const update = (expectedVersion: number | undefined, id = '200') =>
      versionedUpdate<GuildRow>(w.pool, w.sync, {
        table: 'guilds',
        idColumn: 'guild_id',
        id,
        set: { settings: { prefix: String(expectedVersion) } },
        expectedVersion,
        event: configEvent,
      });
    await update(0);
    await update(1);
    const err = await update(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({
      code: 'E_VERSION_CONFLICT',
      entityId: '200',
      expectedVersion: 1,
      currentVersion: 2,
    });
    const { rows } = await w.pool.query('SELECT settings, version FROM guilds');
    expect(rows).toEqual([{ settings: { prefix: '1' }, version: 2 }]);
    expect((await w.outbox()).map((r) => r.version)).toEqual(['1', '2']);

    const missing = await update(undefined, '999').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RowNotFoundError);
    expect(missing).toMatchObject({ code: 'E_ROW_NOT_FOUND', entityId: '999' });
    await expect(update(3, '999')).rejects.toBeInstanceOf(RowNotFoundError);
    expect(await w.outbox()).toHaveLength(2);
  });

  it('rolls everything back when beforeCommit throws, and refuses bad identifiers before any query', async () => {
    const w = await outboxWorld('vu_rollback');
    await w.addGuilds('300');
    const base = { idColumn: 'guild_id', id: '300', set: { settings: { a: 1 } }, event: configEvent };
    await expect(
      versionedUpdate<GuildRow>(w.pool, w.sync, {
        ...base,
        table: 'guilds',
        beforeCommit: async () => {
          throw new Error('revision insert failed');
        },
      }),
    ).rejects.toThrow('revision insert failed');
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);

    for (const table of ['guilds; DROP TABLE guilds', 'a.b.c', '"guilds"', '1guilds']) {
      await expect(versionedUpdate<GuildRow>(w.pool, w.sync, { ...base, table })).rejects.toThrow(TypeError);
    }
    await expect(
      versionedUpdate<GuildRow>(w.pool, w.sync, {
        ...base,
        table: 'guilds',
        set: { 'settings = null --': 1 },
      }),
    ).rejects.toThrow(TypeError);
    await expect(
      versionedUpdate<GuildRow>(w.pool, w.sync, { ...base, table: 'guilds', set: { version: 9 } }),
    ).rejects.toThrow(/cannot be set/);
    // schema.table works.
    const ok = await versionedUpdate<GuildRow>(w.pool, w.sync, { ...base, table: `${w.db.schema}.guilds` });
    expect(ok.version).toBe(1);
  });

  it('a failed publish after COMMIT still resolves; the row stays pending and the relay publishes it', async () => {
    const w = await outboxWorld('vu_fastpath_fail');
    await w.addGuilds('400');
    const notConnected = new SyncClient({ redis: redisUrl(), keyPrefix: w.keyPrefix, listen: false });
    defer(() => notConnected.close());
    const result = await versionedUpdate<GuildRow>(w.pool, notConnected, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '400',
      set: { settings: { x: 1 } },
      event: configEvent,
    });
    expect(result).toMatchObject({ version: 1, published: false });
    const [row] = await w.outbox();
    expect(row).toMatchObject({ published: false, attempts: 1 });
    expect(row?.last_error).toMatch(/connect/i);

    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 10_000 });
    defer(() => relay.stop());
    expect(await relay.drain()).toBe(1);
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '400', version: 1, eventId: row?.event_id });
    expect((await w.outbox())[0]).toMatchObject({ published: true, attempts: 2 });
  });
});
