import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSessionToken } from '../src/auth/tokens.js';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// The session and guild-access middleware over HTTP: each refusal with its status, code and message.

const guild = DEMO.guildId;

describe('panel API auth middleware', () => {
  let w: TestWorld;
  let admin: { token: string; sessionId: string };

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_auth_http' });
    admin = await w.tokenFor(DEMO.users.admin);
  });
  afterAll(() => w?.close());

  const get = (path: string, headers: Record<string, string> = {}) => w.request('GET', path, { headers });

  it('reads only a well-formed Bearer header', async () => {
    const required = {
      error: {
        code: 'unauthorized',
        message: 'Authentication required: send Authorization: Bearer <token>',
      },
    };
    for (const value of [`xBearer ${admin.token}`, `Bearer ${admin.token} extra`, `Basic ${admin.token}`]) {
      const res = await get('/api/panel/guilds', { authorization: value });
      expect(res.status, value.slice(0, 12)).toBe(401);
      expect(res.body, value.slice(0, 12)).toEqual(required);
    }
    expect((await get('/api/panel/guilds')).body).toEqual(required);
    // Any whitespace run and any case of the scheme.
    expect((await get('/api/panel/guilds', { authorization: `bearer   ${admin.token}` })).status).toBe(200);
  });

  it('refuses a valid token whose session belongs to someone else, on guild routes too', async () => {
    const forged = await signSessionToken(w.jwtSecret, {
      userId: DEMO.users.member,
      sessionId: admin.sessionId,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    for (const path of ['/api/panel/guilds', `/api/panel/guilds/${guild}`]) {
      const res = await get(path, { authorization: `Bearer ${forged}` });
      expect(res.status, path).toBe(401);
      expect(res.body, path).toEqual({
        error: { code: 'session_revoked', message: 'Session expired or revoked: log in again' },
      });
    }
  });

  it('refuses a malformed guild id with the field, and an unknown guild with its own code', async () => {
    const bad = await w.request('GET', '/api/panel/guilds/12a', { token: admin.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'bad_request',
      message: 'params.id: must be a Discord guild id (1-20 digits)',
      fields: ['params.id'],
    });
    const ok = await w.request('GET', `/api/panel/guilds/${guild}`, { token: admin.token });
    expect(ok.status).toBe(200);
  });

  it('the settings write route refuses the same way: no token 401, a malformed guild id 400 (401 first for a revoked session)', async () => {
    const path = `/api/panel/guilds/${guild}`;
    const body = { settings: { prefix: '?' } };
    const none = await w.request('PATCH', path, { body });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: { code: 'unauthorized', message: 'Authentication required: send Authorization: Bearer <token>' },
    });
    for (const id of ['12a', 'abc', '1'.repeat(21)]) {
      const bad = await w.request('PATCH', `/api/panel/guilds/${id}`, { token: admin.token, body });
      expect(bad.status, id).toBe(400);
      expect(bad.body.error, id).toMatchObject({ code: 'bad_request', fields: ['params.id'] });
    }
    const revoked = await w.tokenFor(DEMO.users.admin);
    await w.schema.pool.query('UPDATE panel_sessions SET revoked_at = now() WHERE session_id = $1', [
      revoked.sessionId,
    ]);
    const both = await w.request('PATCH', '/api/panel/guilds/12a', { token: revoked.token, body });
    expect([both.status, both.body.error.code]).toEqual([401, 'session_revoked']);
  });

  it('names an unknown module, cut to 32 characters', async () => {
    for (const [name, shown] of [
      ['nope', 'nope'],
      ['m'.repeat(40), 'm'.repeat(32)],
    ] as const) {
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/${name}`, {
        token: admin.token,
        body: { enabled: true },
      });
      expect(res.status, name).toBe(404);
      expect(res.body.error.message, name).toBe(`Unknown module "${shown}"`);
    }
  });

  it('says the bot is not in a guild it left', async () => {
    await w.schema.pool.query('UPDATE guilds SET bot_present = false WHERE guild_id = $1', [guild]);
    try {
      const res = await w.request('GET', `/api/panel/guilds/${guild}`, { token: admin.token });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({
        code: 'guild_not_found',
        message: 'The bot is not in this guild',
      });
    } finally {
      await w.schema.pool.query('UPDATE guilds SET bot_present = true WHERE guild_id = $1', [guild]);
    }
  });

  it('keeps admin routes for administrators', async () => {
    const res = await w.request('GET', '/api/admin/cache/stats', { token: admin.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', message: 'Administrators only' });
    const owner = await w.tokenFor(DEMO.users.owner);
    expect((await w.request('GET', '/api/admin/cache/stats', { token: owner.token })).status).toBe(200);
  });
});
