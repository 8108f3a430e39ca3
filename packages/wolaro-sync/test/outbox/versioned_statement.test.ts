import { redisUrl, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { SyncClient, VersionConflictError } from '../../src/index.js';
import {
  OutboxRelay,
  RowNotFoundError,
  sql,
  sqlQuery,
  versionedUpdate,
  versionedUpdateStatement,
} from '../../src/pg/index.js';
import {
  defer,
  type GuildRow,
  outboxWorld,
  recordPoolStatements,
  useCleanup,
  versionsOf,
} from './helpers.js';

useCleanup();

const mergeSettings = (patch: Record<string, unknown>) => sql`settings || ${JSON.stringify(patch)}::jsonb`;

describe('sql fragments', () => {
  it('sends every interpolated value as a numbered parameter and inlines nested fragments', () => {
    const inner = sql`lower(${"Robert'); DROP TABLE guilds;--"})`;
    const query = sqlQuery(sql`SELECT ${1} AS a, ${inner} AS b, ${10n} AS c`);
    expect(query.text).toBe('SELECT $1 AS a, lower($2) AS b, $3 AS c');
    expect(query.values).toEqual([1, "Robert'); DROP TABLE guilds;--", '10']);
  });
});

describe('versionedUpdateStatement()', () => {
  it('writes the row, the extra rows and the claimed event in one statement and publishes it', async () => {
    const w = await outboxWorld('vus_happy');
    await w.addGuilds('100');
    await w.pool.query('UPDATE guilds SET settings = \'{"language":"en"}\'');
    const recorded = recordPoolStatements(w.pool);
    const { statements } = recorded;
    const result = await versionedUpdateStatement<GuildRow & { effective: Record<string, unknown> }>(
      w.pool,
      w.sync,
      {
        table: 'guilds',
        idColumn: 'guild_id',
        id: '100',
        set: { settings: mergeSettings({ prefix: '?' }) },
        expectedVersion: 0,
        returning: {
          effective: sql`${JSON.stringify({ prefix: '!', logChannelId: null })}::jsonb || settings`,
        },
        also: {
          revision: sql`INSERT INTO config_revisions (guild_id, version, settings)
          SELECT guild_id, version, effective FROM updated RETURNING version, settings`,
        },
        event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'effective' } },
      },
    );
    recorded.stop();
    expect(result.version).toBe(1);
    expect(result.row).toMatchObject({
      guild_id: '100',
      version: 1,
      settings: { language: 'en', prefix: '?' },
    });
    expect(result.row.effective).toEqual({ language: 'en', prefix: '?', logChannelId: null });
    expect(result.also['revision']).toEqual([{ version: 1, settings: result.row.effective }]);
    expect(result.published).toBe(true);
    // One statement for the write; the only other one is the fast path's mark.
    expect(statements.filter((s) => !/published_at = now\(\)/.test(s))).toHaveLength(1);
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '100', version: 1 });
    const [row] = await w.outbox();
    expect(row).toMatchObject({ id: result.outboxIds[0], guild_id: '100', version: '1', published: true });
    expect(row?.payload).toMatchObject({ guildId: '100', version: 1, settings: result.row.effective });
    expect(typeof row?.payload['timestamp']).toBe('number');
    expect(row?.event_id).toBe(w.seen[0]?.eventId);
  });

  it('stale expectedVersion → VersionConflictError; unknown row → RowNotFoundError; nothing written', async () => {
    const w = await outboxWorld('vus_conflict');
    await w.addGuilds('200');
    const update = (expectedVersion: number | undefined, id = '200') =>
      versionedUpdateStatement(w.pool, w.sync, {
        table: 'guilds',
        idColumn: 'guild_id',
        id,
        set: { settings: mergeSettings({ prefix: String(expectedVersion) }) },
        expectedVersion,
        also: { revision: sql`INSERT INTO config_revisions SELECT guild_id, version, settings FROM updated` },
        event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
      });
    await update(0);
    const err = await update(0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({ entityId: '200', expectedVersion: 0, currentVersion: 1 });
    const missing = await update(undefined, '999').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RowNotFoundError);
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 1 }]);
    expect((await w.pool.query('SELECT version FROM config_revisions')).rows).toEqual([{ version: 1 }]);
    expect((await w.outbox()).map((r) => r.version)).toEqual(['1']);
  });

  it('concurrent writers of one row: contiguous versions, each revision and event of its own version', async () => {
    const w = await outboxWorld('vus_race', { max: 20 });
    await w.addGuilds('300');
    const writes = Array.from({ length: 40 }, (_, i) =>
      versionedUpdateStatement(w.pool, w.sync, {
        table: 'guilds',
        idColumn: 'guild_id',
        id: '300',
        set: { settings: mergeSettings({ [`k${i}`]: i }) },
        also: { revision: sql`INSERT INTO config_revisions SELECT guild_id, version, settings FROM updated` },
        event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
      }),
    );
    const results = await Promise.all(writes);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const revisions = await w.pool.query<{ version: number; n: number }>(
      "SELECT version, jsonb_array_length(jsonb_path_query_array(settings, '$.keyvalue()')) AS n FROM config_revisions ORDER BY version",
    );
    // Revision v holds exactly v keys: it was written from the row of its own version.
    expect(revisions.rows.map((r) => r.n)).toEqual(revisions.rows.map((r) => r.version));
    await waitFor(() => w.seen.length === 40);
    expect(new Set(versionsOf(w.seen, '300')).size).toBe(40);
  });

  it('preparedStatements: one named statement per statement text on the connection, same results and conflicts', async () => {
    const w = await outboxWorld('vus_prepare', { max: 1 });
    await w.addGuilds('400');
    const sent: { name: string | undefined; text: string }[] = [];
    const query = w.pool.query.bind(w.pool);
    w.pool.query = ((...args: Parameters<typeof query>) => {
      const first = args[0] as unknown;
      if (typeof first === 'object' && first !== null)
        sent.push({
          name: (first as { name?: string }).name,
          text: String((first as { text: string }).text),
        });
      return query(...args);
    }) as typeof w.pool.query;
    const update = (i: number, expectedVersion?: number) =>
      versionedUpdateStatement(w.pool, w.sync, {
        table: 'guilds',
        idColumn: 'guild_id',
        id: '400',
        set: { settings: mergeSettings({ prefix: `p${i}` }) },
        expectedVersion,
        also: { revision: sql`INSERT INTO config_revisions SELECT guild_id, version, settings FROM updated` },
        event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
        preparedStatements: true,
      });
    for (let i = 1; i <= 7; i++) expect((await update(i)).version).toBe(i);
    // A stale version is still told apart, and a write with an expected version gets its own statement.
    await expect(update(8, 3)).rejects.toBeInstanceOf(VersionConflictError);
    expect((await update(8, 7)).version).toBe(8);
    for (let i = 9; i <= 11; i++) expect((await update(i)).version).toBe(i);
    w.pool.query = query;

    const writes = sent.filter((s) => s.text.startsWith('WITH'));
    expect(writes.every((s) => s.name !== undefined && /^wolaro_vus_[0-9a-f]{32}$/.test(s.name))).toBe(true);
    // Two texts (with and without the expected version), so two names; the same text keeps its name.
    expect(new Set(writes.map((s) => s.name)).size).toBe(2);
    expect(new Set(writes.map((s) => s.text)).size).toBe(2);
    const { rows } = await w.pool.query<{ name: string }>(
      "SELECT name FROM pg_prepared_statements WHERE name LIKE 'wolaro_vus_%' ORDER BY name",
    );
    expect(rows.map((r) => r.name)).toEqual([...new Set(writes.map((s) => s.name))].sort());
    expect((await w.pool.query('SELECT version FROM config_revisions ORDER BY version')).rows).toEqual(
      Array.from({ length: 11 }, (_, i) => ({ version: i + 1 })),
    );
    await waitFor(() => w.seen.length === 11);
    expect(versionsOf(w.seen, '400')).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });

  it('refuses unknown channels, unknown payload fields and bad names before writing anything', async () => {
    const w = await outboxWorld('vus_refuse');
    await w.addGuilds('400');
    const base = { table: 'guilds', idColumn: 'guild_id', id: '400', set: {} } as const;
    await expect(
      versionedUpdateStatement(w.pool, w.sync, {
        ...base,
        event: { channel: 'nope:nope' as 'guild:reload', payload: { guildId: 'guild_id' } },
      }),
    ).rejects.toMatchObject({ code: 'E_UNKNOWN_CHANNEL' });
    await expect(
      versionedUpdateStatement(w.pool, w.sync, {
        ...base,
        event: { channel: 'guild:reload', payload: { guildId: 'guild_id', bogus: 'x' } as never },
      }),
    ).rejects.toThrow(/no payload field "bogus"/);
    await expect(
      versionedUpdateStatement(w.pool, w.sync, {
        ...base,
        event: { channel: 'guild:reload', payload: { guildId: 'guild_id; DROP TABLE guilds' } },
      }),
    ).rejects.toThrow(TypeError);
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);
  });

  it('a failed publish leaves the committed event to the relay, which publishes it', async () => {
    const w = await outboxWorld('vus_relay');
    await w.addGuilds('500');
    const notConnected = new SyncClient({ redis: redisUrl(), keyPrefix: w.keyPrefix, listen: false });
    defer(() => notConnected.close());
    const result = await versionedUpdateStatement(w.pool, notConnected, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '500',
      set: { settings: mergeSettings({ prefix: '$' }) },
      event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
    });
    expect(result).toMatchObject({ version: 1, published: false });
    const [row] = await w.outbox();
    expect(row).toMatchObject({ published: false, attempts: 1 });

    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 10_000 });
    defer(() => relay.stop());
    expect(await relay.drain()).toBe(1);
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '500', version: 1, eventId: row?.event_id });
  });
});

describe('versionedUpdate() prepare', () => {
  it('runs in the transaction before the event is built, and the event sees what it returned', async () => {
    const w = await outboxWorld('vu_prepare');
    await w.addGuilds('600');
    const result = await versionedUpdate(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '600',
      set: { settings: mergeSettings({ prefix: '%' }) },
      prepare: async (client, row: GuildRow) => {
        const { rows } = await client.query<{ n: number }>(
          'INSERT INTO config_revisions VALUES ($1, $2, $3) RETURNING version AS n',
          [row.guild_id, row.version, row.settings],
        );
        return { revision: rows[0]!.n };
      },
      event: (row, prepared) => ({
        channel: 'config:update',
        payload: { guildId: row.guild_id, settings: { ...row.settings, revision: prepared.revision } },
      }),
    });
    expect(result.prepared).toEqual({ revision: 1 });
    await waitFor(() => w.seen.length === 1);
    const [row] = await w.outbox();
    expect(row?.payload['settings']).toEqual({ prefix: '%', revision: 1 });
  });
});
