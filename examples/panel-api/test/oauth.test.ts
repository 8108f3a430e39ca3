import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

/** Runs the browser's part of a Discord login against the emulator; returns the callback response. */
async function login(w: TestWorld, userId: string, tamper?: (callback: URL) => void) {
  const start = await fetch(`${w.api.url}/api/auth/discord`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const cookie = start.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(
    /wolaro_oauth_state=.+; Max-Age=600; Path=\/api\/auth\/discord; .*HttpOnly; SameSite=Lax/,
  );
  const authorize = new URL(start.headers.get('location') ?? '');
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${w.emulator.apiUrl}/oauth2/authorize`);
  expect(authorize.searchParams.get('client_id')).toBe(w.emulator.applicationId);
  expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
  authorize.searchParams.set('user_id', userId);
  const approved = await fetch(authorize, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  const callback = new URL(approved.headers.get('location') ?? '');
  expect(`${callback.origin}${callback.pathname}`).toBe(`${w.api.url}/api/auth/discord/callback`);
  tamper?.(callback);
  return fetch(callback, { redirect: 'manual', headers: { cookie: cookie.split(';')[0] ?? '' } });
}

function tokenFromRedirect(res: Response): string {
  expect(res.status).toBe(302);
  const location = res.headers.get('location') ?? '';
  expect(location).toMatch(/^\/panel\/#token=/);
  expect(location).not.toContain('?');
  return decodeURIComponent(location.slice('/panel/#token='.length));
}

describe('Discord OAuth2 login against the emulator', () => {
  let w: TestWorld;

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_oauth', seedMembers: false });
  });
  afterAll(() => w?.close());

  it('owner and admin log in and see the demo guild; the plain member does not', async () => {
    const guildsOf = async (userId: string) => {
      const token = tokenFromRedirect(await login(w, userId));
      const res = await w.request('GET', '/api/panel/guilds', { token });
      expect(res.status).toBe(200);
      return res.body.guilds.map((g: { guildId: string }) => g.guildId);
    };
    expect(await guildsOf(DEMO.users.owner)).toEqual([DEMO.guildId]);
    expect(await guildsOf(DEMO.users.admin)).toEqual([DEMO.guildId]);
    expect(await guildsOf(DEMO.users.member)).toEqual([]);

    const members = await w.schema.pool.query(
      'SELECT user_id, username, permissions, is_owner FROM guild_members WHERE guild_id = $1 ORDER BY user_id',
      [DEMO.guildId],
    );
    const byId = new Map(members.rows.map((r) => [r.user_id, r]));
    expect(byId.get(DEMO.users.owner)).toMatchObject({ username: 'theo7791l', is_owner: true });
    expect(BigInt(byId.get(DEMO.users.admin).permissions) & 8n).toBe(8n);
    expect(BigInt(byId.get(DEMO.users.member).permissions) & 8n).toBe(0n);
    const sessions = await w.schema.pool.query(
      'SELECT count(*)::int AS n FROM panel_sessions WHERE revoked_at IS NULL',
    );
    expect(sessions.rows[0].n).toBe(3);
  });

  it('the JWT authenticates /api/auth/me and carries sub + sid', async () => {
    const token = tokenFromRedirect(await login(w, DEMO.users.admin));
    const [, payload = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ sub: DEMO.users.admin, sid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    const me = await w.request('GET', '/api/auth/me', { token });
    expect(me.body).toMatchObject({
      user: { id: DEMO.users.admin, username: 'alice_admin' },
      session: { id: claims.sid },
    });
  });

  it('a wrong or missing state fails, and no session is created', async () => {
    const count = async () =>
      (await w.schema.pool.query('SELECT count(*)::int AS n FROM panel_sessions')).rows[0].n as number;
    const before = await count();
    const wrong = await login(w, DEMO.users.admin, (cb) =>
      cb.searchParams.set('state', 'forged-state-value-123456'),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_state' } });
    const missing = await login(w, DEMO.users.admin, (cb) => cb.searchParams.delete('state'));
    expect(missing.status).toBe(400);

    // The right state without the browser's cookie (a login started elsewhere).
    const start = await fetch(`${w.api.url}/api/auth/discord`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location') ?? '');
    authorize.searchParams.set('user_id', DEMO.users.admin);
    const approved = await fetch(authorize, { redirect: 'manual' });
    const noCookie = await fetch(approved.headers.get('location') ?? '', { redirect: 'manual' });
    expect(noCookie.status).toBe(401);

    const denied = await login(w, DEMO.users.admin, (cb) => {
      cb.searchParams.delete('code');
      cb.searchParams.set('error', 'access_denied');
    });
    expect(denied.status).toBe(401);
    expect(await count()).toBe(before);
  });
});
