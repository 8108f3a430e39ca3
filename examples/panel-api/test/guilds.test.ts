import { guildConfigLoaders } from '@wolaro/db';
import { GuildConfigCache, SyncClient } from '@wolaro/sync';
import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import { redisUrl, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { DEMO, nextEvent, useWorld } from './helpers.js';

const guild = DEMO.guildId;

describe('panel guild configuration', () => {
  const w = useWorld('panel_guilds');

  it('GET /api/panel/guilds/:id returns settings, modules, version and name', async () => {
    const res = await w.request('GET', `/api/panel/guilds/${guild}`, { token: w.adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      guildId: guild,
      name: 'Wolaro Demo',
      settings: { prefix: '!', language: 'en', logChannelId: null },
      modules: { moderation: { enabled: true }, welcome: { enabled: false }, logging: { enabled: false } },
      version: 1,
    });
  });

  it('PATCH prefix: 200 with the new version, row + revision + outbox written, socket gets config:updated', async () => {
    const socket = await w.connect(w.adminToken);
    const pushed = nextEvent(socket, 'config:updated');
    const before = (await w.request('GET', `/api/panel/guilds/${guild}`, { token: w.adminToken })).body
      .version;

    const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token: w.adminToken,
      body: { settings: { prefix: '?' }, version: before },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      guildId: guild,
      settings: { prefix: '?', language: 'en', logChannelId: null },
      version: before + 1,
    });

    const event = await pushed;
    expect(event).toMatchObject({
      guildId: guild,
      settings: { prefix: '?', language: 'en' },
      version: before + 1,
    });
    expect(typeof event.timestamp).toBe('number');

    const row = await w.schema.pool.query('SELECT settings, version FROM guilds WHERE guild_id = $1', [
      guild,
    ]);
    expect(row.rows[0].settings.prefix).toBe('?');
    expect(Number(row.rows[0].version)).toBe(before + 1);
    const revision = await w.schema.pool.query(
      'SELECT settings, changed_by, change FROM config_revisions WHERE guild_id = $1 AND version = $2',
      [guild, before + 1],
    );
    expect(revision.rows[0]).toMatchObject({ changed_by: DEMO.users.admin, change: 'settings' });
    expect(revision.rows[0].settings.prefix).toBe('?');
    await waitFor(async () => {
      const outbox = await w.schema.pool.query(
        `SELECT published_at FROM ${OUTBOX_TABLE} WHERE guild_id = $1 AND channel = 'config:update' AND version = $2`,
        [guild, before + 1],
      );
      return outbox.rows.length === 1 && outbox.rows[0].published_at !== null;
    });
    // The operator line of the note, through the SDK logger.
    expect(w.logger.has(`Published config:update for guild ${guild}`, 'debug')).toBe(true);
  });

  it('PATCH merges partial settings into the stored ones', async () => {
    const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token: w.adminToken,
      body: { settings: { language: 'fr', logChannelId: DEMO.channels.logs } },
    });
    expect(res.status).toBe(200);
    expect(res.body.settings).toEqual({ prefix: '?', language: 'fr', logChannelId: DEMO.channels.logs });
  });

  it('PATCH a module bumps the guild version and pushes module:toggled', async () => {
    const socket = await w.connect(w.adminToken);
    const pushed = nextEvent(socket, 'module:toggled');
    const before = (await w.request('GET', `/api/panel/guilds/${guild}`, { token: w.adminToken })).body
      .version;
    const res = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
      token: w.adminToken,
      body: {
        enabled: true,
        config: { channelId: DEMO.channels.welcome, message: 'Bienvenue !' },
        version: before,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      module: 'welcome',
      enabled: true,
      config: { channelId: DEMO.channels.welcome, message: 'Bienvenue !' },
      version: before + 1,
    });
    expect(await pushed).toMatchObject({
      guildId: guild,
      module: 'welcome',
      enabled: true,
      version: before + 1,
    });

    const config = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
      token: w.adminToken,
      body: { config: { message: 'Hello' } },
    });
    expect(config.body).toMatchObject({
      enabled: true,
      config: { channelId: DEMO.channels.welcome, message: 'Hello' },
      version: before + 2,
    });
    const unknown = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/music`, {
      token: w.adminToken,
      body: { enabled: true },
    });
    expect(unknown.status).toBe(404);
  });

  it('lists revisions newest first and restores one as a new versioned write', async () => {
    const list = await w.request('GET', `/api/panel/guilds/${guild}/revisions?limit=100`, {
      token: w.adminToken,
    });
    expect(list.status).toBe(200);
    const versions = list.body.revisions.map((r: { version: number }) => r.version);
    expect(versions).toEqual([...versions].sort((a: number, b: number) => b - a));
    expect(list.body.revisions.at(-1)).toMatchObject({ version: 1, change: 'created' });

    const socket = await w.connect(w.adminToken);
    const reload = nextEvent(socket, 'guild:reload');
    const current = versions[0];
    const res = await w.request('POST', `/api/panel/guilds/${guild}/revisions/1/restore`, {
      token: w.adminToken,
      body: { version: current },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      restored: 1,
      version: current + 1,
      settings: { prefix: '!', language: 'en', logChannelId: null },
      modules: { welcome: { enabled: false } },
    });
    expect(await reload).toMatchObject({ guildId: guild, reason: 'Revision 1 restored' });
    const latest = await w.request('GET', `/api/panel/guilds/${guild}/revisions?limit=1`, {
      token: w.adminToken,
    });
    expect(latest.body.revisions[0]).toMatchObject({
      version: current + 1,
      change: 'restore:1',
      changedBy: DEMO.users.admin,
      changedByName: 'alice_admin',
    });

    const missing = await w.request('POST', `/api/panel/guilds/${guild}/revisions/9999/restore`, {
      token: w.adminToken,
    });
    expect(missing.status).toBe(404);
  });

  it('POST /sync publishes guild:reload (the note force reload)', async () => {
    const socket = await w.connect(w.adminToken);
    const reload = nextEvent(socket, 'guild:reload');
    const res = await w.request('POST', `/api/panel/guilds/${guild}/sync`, { token: w.adminToken });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ ok: true, published: expect.any(Boolean) });
    expect(await reload).toMatchObject({ guildId: guild });
  });

  it('GET /logs lists audit_log rows newest first with a limit', async () => {
    for (const command of ['ping', 'ban', 'warn']) {
      await w.schema.pool.query(
        "INSERT INTO audit_log (guild_id, command, executor_id, executor, result) VALUES ($1, $2, $3, 'theo7791l', 'success')",
        [guild, command, DEMO.users.owner],
      );
    }
    const res = await w.request('GET', `/api/panel/guilds/${guild}/logs?limit=2`, { token: w.adminToken });
    expect(res.status).toBe(200);
    expect(res.body.logs.map((l: { command: string }) => l.command)).toEqual(['warn', 'ban']);
    expect(res.body.logs[0]).toMatchObject({
      executorId: DEMO.users.owner,
      executor: 'theo7791l',
      result: 'success',
    });
    const bad = await w.request('GET', `/api/panel/guilds/${guild}/logs?limit=abc`, { token: w.adminToken });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('query.limit');
  });

  it('GET /api/panel/guilds lists the guilds the user manages', async () => {
    const res = await w.request('GET', '/api/panel/guilds', { token: w.adminToken });
    expect(res.status).toBe(200);
    expect(res.body.guilds.map((g: { guildId: string }) => g.guildId)).toEqual([guild]);
  });

  it('the bot side: GuildConfigCache over @wolaro/db follows the writes', async () => {
    const sync = new SyncClient({ redis: redisUrl(), keyPrefix: w.api.config.redisKeyPrefix });
    const configs = new GuildConfigCache({ sync, ...guildConfigLoaders(w.schema.pool) });
    try {
      await configs.start();
      await sync.connect();
      const before = await configs.get(guild);
      expect(before).toMatchObject({ modules: { moderation: { enabled: true } } });
      const updated = new Promise<{ settings: Record<string, unknown>; version: number }>((resolve) =>
        configs.on('updated', (_id, config) => resolve(config)),
      );
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token: w.adminToken,
        body: { settings: { prefix: '+' } },
      });
      const config = await updated;
      expect(config.settings['prefix']).toBe('+');
      expect(config.version).toBe(res.body.version);
      expect(configs.peek(guild)?.version).toBe(res.body.version);
    } finally {
      configs.stop();
      await sync.close();
    }
  });
});
