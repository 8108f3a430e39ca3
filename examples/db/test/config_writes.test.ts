import {
  type EventPublisher,
  getGuild,
  listRevisions,
  loadGuildConfig,
  requestGuildReload,
  restoreRevision,
  runMigrations,
  updateGuildModule,
  updateGuildSettings,
  upsertGuild,
} from '@wolaro/db';
import { MemoryBus, MemoryTransport, SyncClient, VersionConflictError } from '@wolaro/sync';
import { OUTBOX_TABLE, RowNotFoundError } from '@wolaro/sync/pg';
import { captureLogger, createTestSchema, type TestSchema, waitFor } from '@wolaro/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The panel's versioned config writes against a real Postgres schema: what each write stores (the
// guild row, its modules, a revision) and what a subscriber on the bus receives, with the version
// that orders a guild's events.

const GUILD = '720000000000000001';
const OTHER = '720000000000000002';
const USER = '730000000000000001';
const DEFAULTS = { prefix: '!', language: 'en', logChannelId: null };
const DEFAULT_MODULES = {
  moderation: { enabled: true, config: {} },
  welcome: { enabled: false, config: {} },
  logging: { enabled: false, config: {} },
};

interface Seen {
  channel: string;
  event: Record<string, unknown>;
}

let schema: TestSchema;
let publisher: EventPublisher;
let subscriber: SyncClient;
let seen: Seen[];

beforeEach(async () => {
  schema = await createTestSchema('config_writes');
  await runMigrations(schema.pool);
  await upsertGuild(schema.pool, { guildId: GUILD, name: 'Alpha', ownerId: USER });
  await upsertGuild(schema.pool, { guildId: OTHER, name: 'Beta', ownerId: USER });
  const bus = new MemoryBus();
  const sync = new SyncClient({ transport: new MemoryTransport({ bus }) });
  subscriber = new SyncClient({ transport: new MemoryTransport({ bus }) });
  await Promise.all([sync.connect(), subscriber.connect()]);
  seen = [];
  for (const channel of ['config:update', 'module:toggle', 'guild:reload'] as const) {
    subscriber.subscribe(channel, (event) => {
      seen.push({ channel, event: { ...event } });
    });
  }
  publisher = { sync };
});

afterEach(async () => {
  await Promise.all([publisher.sync.close(), subscriber.close()]);
  await schema.drop();
});

/**
 * The events of the writes so far: a `guild:reload` sentinel for OTHER goes out last on the same
 * in-order bus, so once it arrived every earlier event has too (and nothing more is on the way).
 */
async function eventsSoFar(): Promise<Seen[]> {
  await publisher.sync.publish('guild:reload', { guildId: OTHER, reason: 'sentinel' });
  await waitFor(() => seen.some((s) => s.event['reason'] === 'sentinel'), { message: 'the sentinel' });
  return seen.filter((s) => s.event['reason'] !== 'sentinel');
}

const pick = ({ channel, event }: Seen, ...keys: string[]) => ({
  channel,
  ...Object.fromEntries(keys.map((k) => [k, event[k]])),
});

/** `write` refuses a stale expected version of GUILD, and a guild that does not exist. */
async function expectStaleAndUnknownRefused(
  write: (target: { guildId: string; expectedVersion?: number }) => Promise<unknown>,
) {
  await expect(write({ guildId: GUILD, expectedVersion: 7 })).rejects.toBeInstanceOf(VersionConflictError);
  await expect(write({ guildId: '720000000000000099' })).rejects.toBeInstanceOf(RowNotFoundError);
}

/** The guild is still at its first version and nothing was published. */
async function expectNothingWritten() {
  expect((await getGuild(schema.pool, GUILD))?.version).toBe(1);
  expect(await eventsSoFar()).toEqual([]);
}

describe('updateGuildSettings', () => {
  it('merges the patch, bumps the version, stores a revision and publishes the effective settings', async () => {
    const result = await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?' },
      expectedVersion: 1,
      changedBy: USER,
    });
    expect(result).toEqual({
      settings: { ...DEFAULTS, prefix: '?' },
      modules: DEFAULT_MODULES,
      version: 2,
      published: true,
    });
    const second = await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { language: 'fr' },
      changedBy: null,
    });
    expect(second.settings).toEqual({ ...DEFAULTS, prefix: '?', language: 'fr' });
    expect(second.version).toBe(3);

    const guild = await getGuild(schema.pool, GUILD);
    expect(guild?.settings).toEqual({ ...DEFAULTS, prefix: '?', language: 'fr' });
    expect(guild?.version).toBe(3);
    const revisions = await listRevisions(schema.pool, GUILD);
    expect(revisions.slice(0, 2).map((r) => [r.version, r.change, r.changedBy, r.settings.prefix])).toEqual([
      [3, 'settings', null, '?'],
      [2, 'settings', USER, '?'],
    ]);
    expect(revisions[0]?.modules).toEqual(DEFAULT_MODULES);

    const events = await eventsSoFar();
    expect(events.map((e) => pick(e, 'guildId', 'version', 'settings'))).toEqual([
      { channel: 'config:update', guildId: GUILD, version: 2, settings: { ...DEFAULTS, prefix: '?' } },
      {
        channel: 'config:update',
        guildId: GUILD,
        version: 3,
        settings: { ...DEFAULTS, prefix: '?', language: 'fr' },
      },
    ]);
  });

  it('refuses a stale version and an unknown guild without writing or publishing anything', async () => {
    await expectStaleAndUnknownRefused((target) =>
      updateGuildSettings(schema.pool, publisher, { ...target, patch: { prefix: '?' }, changedBy: USER }),
    );
    await expectNothingWritten();
  });
});

describe('the reload query (loadGuildConfig)', () => {
  it('is a prepared statement: parsed once per connection, and each call sees the latest write', async () => {
    const client = await schema.pool.connect();
    try {
      for (let i = 1; i <= 3; i++) {
        await updateGuildSettings(schema.pool, publisher, {
          guildId: GUILD,
          patch: { prefix: `${i}!` },
          changedBy: USER,
        });
        expect(await loadGuildConfig(client, GUILD)).toMatchObject({
          settings: { prefix: `${i}!` },
          modules: DEFAULT_MODULES,
          version: 1 + i,
        });
      }
      expect(await loadGuildConfig(client, '720000000000000099')).toBeNull();
      const { rows } = await client.query<{ name: string }>(
        "SELECT name FROM pg_prepared_statements WHERE name = 'wolaro_load_guild_config'",
      );
      expect(rows).toHaveLength(1);
    } finally {
      client.release();
    }
  });
});

describe('updateGuildModule', () => {
  it('toggles a module and merges its config on the guild version, with a revision and an event', async () => {
    const first = await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'welcome',
      enabled: true,
      config: { channelId: '1', message: 'hi' },
      expectedVersion: 1,
      changedBy: USER,
    });
    expect(first).toEqual({
      settings: DEFAULTS,
      modules: { ...DEFAULT_MODULES, welcome: { enabled: true, config: { channelId: '1', message: 'hi' } } },
      version: 2,
      module: { enabled: true, config: { channelId: '1', message: 'hi' } },
      published: true,
    });
    // config only: enabled stays, the patch is merged into the stored config
    const second = await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'welcome',
      config: { message: 'hello' },
      changedBy: USER,
    });
    expect(second.module).toEqual({ enabled: true, config: { channelId: '1', message: 'hello' } });
    expect(second.version).toBe(3);
    // enabled only: the config stays
    const third = await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'welcome',
      enabled: false,
      changedBy: USER,
    });
    expect(third.module).toEqual({ enabled: false, config: { channelId: '1', message: 'hello' } });

    const { rows } = await schema.pool.query(
      'SELECT name, enabled, config, version::int AS version FROM guild_modules WHERE guild_id = $1 AND name = $2',
      [GUILD, 'welcome'],
    );
    expect(rows).toEqual([
      { name: 'welcome', enabled: false, config: { channelId: '1', message: 'hello' }, version: 4 },
    ]);
    const revisions = await listRevisions(schema.pool, GUILD);
    expect(revisions.slice(0, 3).map((r) => [r.version, r.change, r.modules['welcome']?.enabled])).toEqual([
      [4, 'module:welcome', false],
      [3, 'module:welcome', true],
      [2, 'module:welcome', true],
    ]);

    const events = await eventsSoFar();
    expect(events.map((e) => pick(e, 'guildId', 'version', 'module', 'enabled', 'config'))).toEqual([
      {
        channel: 'module:toggle',
        guildId: GUILD,
        version: 2,
        module: 'welcome',
        enabled: true,
        config: { channelId: '1', message: 'hi' },
      },
      {
        channel: 'module:toggle',
        guildId: GUILD,
        version: 3,
        module: 'welcome',
        enabled: true,
        config: { channelId: '1', message: 'hello' },
      },
      {
        channel: 'module:toggle',
        guildId: GUILD,
        version: 4,
        module: 'welcome',
        enabled: false,
        config: { channelId: '1', message: 'hello' },
      },
    ]);
  });

  it('a first write of a module without `enabled` keeps its default state', async () => {
    const moderation = await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'moderation',
      config: { maxWarnings: 3 },
      changedBy: USER,
    });
    expect(moderation.module).toEqual({ enabled: true, config: { maxWarnings: 3 } });
    const logging = await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'logging',
      changedBy: USER,
    });
    expect(logging.module).toEqual({ enabled: false, config: {} });
  });

  it('refuses an unknown module, a stale version and an unknown guild without publishing', async () => {
    await expect(
      updateGuildModule(schema.pool, publisher, {
        guildId: GUILD,
        module: 'music',
        enabled: true,
        changedBy: USER,
      }),
    ).rejects.toThrow(new RowNotFoundError('guild_modules', `${GUILD}/music`));
    await expectStaleAndUnknownRefused((target) =>
      updateGuildModule(schema.pool, publisher, {
        ...target,
        module: 'welcome',
        enabled: true,
        changedBy: USER,
      }),
    );
    const { rows } = await schema.pool.query(
      'SELECT count(*)::int AS n FROM guild_modules WHERE enabled AND name = $1',
      ['welcome'],
    );
    expect(rows[0].n).toBe(0);
    expect(await eventsSoFar()).toEqual([]);
  });
});

/** Two writes by USER: the prefix (one version), then the welcome module (the next one). */
async function setPrefixThenWelcome(prefix: string, enabled: boolean, message: string) {
  await updateGuildSettings(schema.pool, publisher, { guildId: GUILD, patch: { prefix }, changedBy: USER });
  await updateGuildModule(schema.pool, publisher, {
    guildId: GUILD,
    module: 'welcome',
    enabled,
    config: { message },
    changedBy: USER,
  });
}

describe('restoreRevision', () => {
  it('brings back the settings and modules of a revision as a new version, with config:update and guild:reload', async () => {
    await setPrefixThenWelcome('?', true, 'hi');
    // version 3: prefix '?', welcome on. Then change both again.
    await setPrefixThenWelcome('$', false, 'bye');
    const before = (await eventsSoFar()).length;

    const result = await restoreRevision(schema.pool, publisher, {
      guildId: GUILD,
      revision: 3,
      expectedVersion: 5,
      changedBy: USER,
    });
    const restoredModules = { ...DEFAULT_MODULES, welcome: { enabled: true, config: { message: 'hi' } } };
    expect(result).toEqual({
      settings: { ...DEFAULTS, prefix: '?' },
      modules: restoredModules,
      version: 6,
      restored: 3,
      published: true,
    });
    const guild = await getGuild(schema.pool, GUILD);
    expect(guild?.settings).toEqual({ ...DEFAULTS, prefix: '?' });
    expect(guild?.modules).toEqual(restoredModules);
    const [latest] = await listRevisions(schema.pool, GUILD, 1);
    expect([latest?.version, latest?.change, latest?.changedBy]).toEqual([6, 'restore:3', USER]);
    const { rows } = await schema.pool.query(
      'SELECT version::int AS version FROM guild_modules WHERE guild_id = $1 AND name = $2',
      [GUILD, 'welcome'],
    );
    expect(rows).toEqual([{ version: 6 }]);

    const events = (await eventsSoFar()).slice(before);
    expect(events.map((e) => pick(e, 'guildId', 'version', 'settings', 'reason'))).toEqual([
      {
        channel: 'config:update',
        guildId: GUILD,
        version: 6,
        settings: { ...DEFAULTS, prefix: '?' },
        reason: undefined,
      },
      {
        channel: 'guild:reload',
        guildId: GUILD,
        version: undefined,
        settings: undefined,
        reason: 'Revision 3 restored',
      },
    ]);
  });

  it('refuses an unknown revision and a stale version without writing', async () => {
    await expect(
      restoreRevision(schema.pool, publisher, { guildId: GUILD, revision: 9, changedBy: USER }),
    ).rejects.toThrow(new RowNotFoundError('config_revisions', `${GUILD}@9`));
    await expect(
      restoreRevision(schema.pool, publisher, {
        guildId: GUILD,
        revision: 1,
        expectedVersion: 4,
        changedBy: USER,
      }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await expectNothingWritten();
  });
});

describe('restoreRevision of an old revision', () => {
  it('skips a module that no longer exists and brings back the others', async () => {
    // a revision saved when the bot still had a `music` module
    const saved = {
      ...DEFAULT_MODULES,
      music: { enabled: true, config: {} },
      welcome: { enabled: true, config: {} },
    };
    await schema.pool.query(
      `INSERT INTO config_revisions (guild_id, version, settings, modules, changed_by, change)
       VALUES ($1, 0, $2::jsonb, $3::jsonb, NULL, 'created')`,
      [GUILD, JSON.stringify(DEFAULTS), JSON.stringify(saved)],
    );
    const result = await restoreRevision(schema.pool, publisher, {
      guildId: GUILD,
      revision: 0,
      changedBy: USER,
    });
    expect(result.modules).toEqual({ ...DEFAULT_MODULES, welcome: { enabled: true, config: {} } });
    const { rows } = await schema.pool.query(
      'SELECT name FROM guild_modules WHERE guild_id = $1 ORDER BY name',
      [GUILD],
    );
    expect(rows.map((r) => r.name)).not.toContain('music');
  });
});

describe('updated_at', () => {
  it('every write stamps the guild row', async () => {
    // compared in SQL, at the microsecond precision of the column
    const stamp = async () =>
      (
        await schema.pool.query<{ t: string }>(
          'SELECT updated_at::text AS t FROM guilds WHERE guild_id = $1',
          [GUILD],
        )
      ).rows[0]!.t;
    const later = async (than: string) =>
      (
        await schema.pool.query<{ later: boolean }>(
          'SELECT updated_at > $2::timestamptz AS later FROM guilds WHERE guild_id = $1',
          [GUILD, than],
        )
      ).rows[0]!.later;
    const created = await stamp();
    await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'welcome',
      enabled: true,
      changedBy: USER,
    });
    expect(await later(created)).toBe(true);
    const afterModule = await stamp();
    await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?' },
      changedBy: USER,
    });
    expect(await later(afterModule)).toBe(true);
  });
});

describe('requestGuildReload', () => {
  it('publishes guild:reload through the outbox with the reason', async () => {
    expect(await requestGuildReload(schema.pool, publisher, { guildId: GUILD, reason: 'manual' })).toEqual({
      published: true,
    });
    const events = await eventsSoFar();
    expect(events.map((e) => pick(e, 'guildId', 'reason'))).toEqual([
      { channel: 'guild:reload', guildId: GUILD, reason: 'manual' },
    ]);
    // Marked published once its mark delay has passed (the call answers without waiting for it).
    await waitFor(
      async () => {
        const { rows } = await schema.pool.query(
          `SELECT count(*)::int AS n FROM ${OUTBOX_TABLE} WHERE channel = 'guild:reload' AND published_at IS NOT NULL`,
        );
        return rows[0].n === 1;
      },
      { message: 'the guild:reload row marked published' },
    );
  });
});

describe('when the bus refuses the publish', () => {
  it('commits the write, leaves its event to the outbox relay, wakes the relay and logs', async () => {
    const logger = captureLogger();
    let wakes = 0;
    const closed = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
    await closed.connect();
    await closed.close();
    const failing: EventPublisher = { sync: closed, relay: { wake: () => wakes++ }, logger };

    const result = await updateGuildSettings(schema.pool, failing, {
      guildId: GUILD,
      patch: { prefix: '?' },
      changedBy: USER,
    });
    expect(result.published).toBe(false);
    expect(result.version).toBe(2);
    expect((await getGuild(schema.pool, GUILD))?.settings.prefix).toBe('?');
    expect(wakes).toBeGreaterThan(0);
    expect(logger.count(() => true, 'warn')).toBeGreaterThan(0);

    const reload = await requestGuildReload(schema.pool, failing, { guildId: GUILD, reason: 'manual' });
    expect(reload).toEqual({ published: false });
    const { rows } = await schema.pool.query<{ channel: string }>(
      `SELECT channel FROM ${OUTBOX_TABLE} WHERE published_at IS NULL ORDER BY id`,
    );
    expect(rows.map((r) => r.channel)).toEqual(['config:update', 'guild:reload']);
  });
});
