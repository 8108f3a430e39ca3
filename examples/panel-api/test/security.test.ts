import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import { waitFor } from '@wolaro/test-harness';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPanelApi } from '../src/server.js';
import { DEMO, IDS, startWorld, type TestWorld } from './helpers.js';

/** Every route that acts on one guild, with a valid body for it. */
const GUILD_ROUTES: readonly { method: string; path: (id: string) => string; body?: unknown }[] = [
  { method: 'GET', path: (id) => `/api/panel/guilds/${id}` },
  { method: 'PATCH', path: (id) => `/api/panel/guilds/${id}`, body: { settings: { prefix: '$' } } },
  { method: 'PATCH', path: (id) => `/api/panel/guilds/${id}/modules/welcome`, body: { enabled: true } },
  { method: 'POST', path: (id) => `/api/panel/guilds/${id}/sync` },
  { method: 'GET', path: (id) => `/api/panel/guilds/${id}/revisions` },
  { method: 'POST', path: (id) => `/api/panel/guilds/${id}/revisions/1/restore` },
  { method: 'GET', path: (id) => `/api/panel/guilds/${id}/logs` },
  { method: 'GET', path: (id) => `/api/discord/guilds/${id}/channels` },
];

const guild = DEMO.guildId;

describe('panel API security', () => {
  let w: TestWorld;
  let admin: string;
  let member: string;

  const snapshot = async () => {
    const guilds = await w.schema.pool.query(
      'SELECT guild_id, settings, version FROM guilds ORDER BY guild_id',
    );
    const modules = await w.schema.pool.query('SELECT * FROM guild_modules ORDER BY guild_id, name');
    const outbox = await w.schema.pool.query(`SELECT count(*)::int AS n FROM ${OUTBOX_TABLE}`);
    return { guilds: guilds.rows, modules: modules.rows, outbox: outbox.rows[0].n };
  };

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_security' });
    admin = (await w.tokenFor(DEMO.users.admin)).token;
    member = (await w.tokenFor(DEMO.users.member)).token;
  });
  afterAll(() => w?.close());

  it('every /api/panel and /api/discord route: 401 without a token, 403 for another guild or a plain member, 404 without the bot', async () => {
    const before = await snapshot();
    const list = await w.request('GET', '/api/panel/guilds');
    expect(list.status).toBe(401);
    expect(list.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    for (const route of GUILD_ROUTES) {
      const call = (id: string, token?: string) =>
        w.request(route.method, route.path(id), { token, body: route.body });
      const label = `${route.method} ${route.path(':id')}`;
      expect((await call(guild)).status, `${label} without token`).toBe(401);
      expect((await call(guild, 'not.a.jwt')).status, `${label} with a garbage token`).toBe(401);
      const other = await call(IDS.otherGuild, admin);
      expect(other.status, `${label} on another guild`).toBe(403);
      expect(other.body.error.code).toBe('forbidden');
      expect((await call(guild, member)).status, `${label} as a plain member`).toBe(403);
      const gone = await call(IDS.goneGuild, admin);
      expect(gone.status, `${label} on a guild without the bot`).toBe(404);
      expect(gone.body.error.code).toBe('guild_not_found');
      expect((await call('1 OR 1=1', admin)).status, `${label} with a non-snowflake id`).toBe(400);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses tokens signed with another secret or with alg none', async () => {
    const forged = await new SignJWT({ sid: '00000000-0000-4000-8000-000000000000' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(DEMO.users.admin)
      .setIssuer('wolaro-panel-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    expect((await w.request('GET', '/api/panel/guilds', { token: forged })).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: DEMO.users.admin, sid: '00000000-0000-4000-8000-000000000000', exp: 9e9 }),
    ).toString('base64url')}.`;
    expect((await w.request('GET', '/api/panel/guilds', { token: none })).status).toBe(401);
  });

  it('expired and revoked sessions get 401', async () => {
    const expired = await w.tokenFor(DEMO.users.admin);
    await w.schema.pool.query(
      "UPDATE panel_sessions SET expires_at = now() - interval '1 minute' WHERE session_id = $1",
      [expired.sessionId],
    );
    const res = await w.request('GET', `/api/panel/guilds/${guild}`, { token: expired.token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_revoked');

    const revoked = await w.tokenFor(DEMO.users.admin);
    await w.schema.pool.query('UPDATE panel_sessions SET revoked_at = now() WHERE session_id = $1', [
      revoked.sessionId,
    ]);
    expect((await w.request('GET', `/api/panel/guilds/${guild}`, { token: revoked.token })).status).toBe(401);

    const { signSessionToken } = await import('../src/auth/tokens.js');
    const live = await w.tokenFor(DEMO.users.admin);
    const stale = await signSessionToken(w.jwtSecret, {
      userId: DEMO.users.admin,
      sessionId: live.sessionId,
      expiresAt: new Date(Date.now() - 60_000),
    });
    const jwtExpired = await w.request('GET', '/api/panel/guilds', { token: stale });
    expect(jwtExpired.status).toBe(401);
    expect(jwtExpired.body.error.code).toBe('token_expired');
  });

  it('unknown or ill-typed fields: 400 naming the field, database unchanged', async () => {
    const before = await snapshot();
    const cases: [unknown, string][] = [
      [{ settings: { prefix: '?' }, colour: 'red' }, 'colour'],
      [{ settings: { prefix: '?', colour: 'red' } }, 'settings.colour'],
      [{ settings: { prefix: 5 } }, 'settings.prefix'],
      [{ settings: { prefix: 'has space' } }, 'settings.prefix'],
      [{ settings: { prefix: 'toolong' } }, 'settings.prefix'],
      [{ settings: { language: 'klingon' } }, 'settings.language'],
      [{ settings: { logChannelId: 'general' } }, 'settings.logChannelId'],
      [{ settings: { prefix: '?' }, version: 'one' }, 'version'],
      [{ settings: {} }, 'settings'],
      [{}, 'settings'],
    ];
    for (const [body, field] of cases) {
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_body');
      expect(res.body.error.message, JSON.stringify(body)).toContain(field);
    }
    const moduleCases: [unknown, string][] = [
      [{ enabled: 'yes' }, 'enabled'],
      [{ config: { channelId: 'x' } }, 'config.channelId'],
      [{ config: { html: '<b>' } }, 'config.html'],
      [{ enabled: true, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of moduleCases) {
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
        token: admin,
        body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
    const notJson = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token: admin,
      raw: '{"settings":',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
    expect(await snapshot()).toEqual(before);
  });

  it('a body over the limit gets 413 in the JSON error shape', async () => {
    const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token: admin,
      body: { settings: { prefix: '?' }, padding: 'x'.repeat(70 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
  });

  it('SQL-looking input is stored as text, never executed', async () => {
    const prefix = "';--";
    const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token: admin,
      body: { settings: { prefix } },
    });
    expect(res.status).toBe(200);
    const message = "'); DROP TABLE guilds; --";
    const mod = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
      token: admin,
      body: { config: { message } },
    });
    expect(mod.status).toBe(200);
    const restore = await w.request(
      'POST',
      `/api/panel/guilds/${guild}/revisions/${encodeURIComponent('1; DROP TABLE guilds')}/restore`,
      { token: admin },
    );
    expect(restore.status).toBe(400);
    expect(restore.body.error.message).toContain('params.rev');
    const row = await w.schema.pool.query(
      "SELECT settings->>'prefix' AS prefix FROM guilds WHERE guild_id = $1",
      [guild],
    );
    expect(row.rows[0].prefix).toBe(prefix);
    const welcome = await w.schema.pool.query(
      "SELECT config->>'message' AS message FROM guild_modules WHERE guild_id = $1 AND name = 'welcome'",
      [guild],
    );
    expect(welcome.rows[0].message).toBe(message);
    const tables = await w.schema.pool.query(
      'SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1',
      [w.schema.schema],
    );
    expect(tables.rows[0].n).toBeGreaterThanOrEqual(8);
  });

  it('a stale version gets 409 with the current version, and nothing changes', async () => {
    const current = (await w.request('GET', `/api/panel/guilds/${guild}`, { token: admin })).body.version;
    const before = await snapshot();
    const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token: admin,
      body: { settings: { prefix: '%' }, version: current - 1 },
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'version_conflict', currentVersion: current });
    const mod = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/logging`, {
      token: admin,
      body: { enabled: true, version: current - 1 },
    });
    expect(mod.status).toBe(409);
    const restore = await w.request('POST', `/api/panel/guilds/${guild}/revisions/1/restore`, {
      token: admin,
      body: { version: current + 5 },
    });
    expect(restore.status).toBe(409);
    expect(await snapshot()).toEqual(before);
  });

  it('POST /api/auth/logout revokes the session and disconnects its socket', async () => {
    const { token } = await w.tokenFor(DEMO.users.admin);
    const other = await w.tokenFor(DEMO.users.admin);
    const socket = await w.connect(token);
    const survivor = await w.connect(other.token);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const res = await w.request('POST', '/api/auth/logout', { token });
    expect(res.status).toBe(200);
    expect(await disconnected).toBe('io server disconnect');
    expect((await w.request('GET', '/api/auth/me', { token })).status).toBe(401);
    await expect(w.connect(token)).rejects.toThrow(/unauthorized/);
    await waitFor(() => w.api.gateway.stats().totalConnections >= 1);
    expect(survivor.connected).toBe(true);
  });

  it('rate limit answers 429 in the JSON error shape', async () => {
    const limited = await startPanelApi(
      { ...w.api.config, port: 0, rateLimit: { windowMs: 60_000, max: 3 } },
      { logger: w.logger },
    );
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${limited.url}/api/health`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await last?.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    } finally {
      await limited.close();
    }
  });
});
