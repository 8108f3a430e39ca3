import { describe, expect, it } from 'vitest';
import {
  ALL_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  DEMO,
  type DiscordEmulator,
  PermissionFlags,
} from '../src/index.js';
import { emulator, http } from './helpers.js';

const REDIRECT = 'http://localhost:3000/auth/discord/callback';

function authorizeUrl(instance: DiscordEmulator, params: Record<string, string>): string {
  const query = new URLSearchParams({
    client_id: instance.applicationId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'identify guilds',
    state: 'xyz',
    ...params,
  });
  return `${instance.url}/oauth2/authorize?${query}`;
}

async function authorize(
  instance: DiscordEmulator,
  userId: string,
  scope = 'identify guilds',
): Promise<string> {
  const res = await http(authorizeUrl(instance, { user_id: userId, scope }));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  expect(location.searchParams.get('state')).toBe('xyz');
  return location.searchParams.get('code') ?? '';
}

function exchange(instance: DiscordEmulator, code: string, secret = instance.clientSecret) {
  return http(`${instance.apiUrl}/v10/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    raw: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: instance.applicationId,
      client_secret: secret,
    }).toString(),
  });
}

async function login(instance: DiscordEmulator, userId: string, scope?: string): Promise<string> {
  const res = await exchange(instance, await authorize(instance, userId, scope));
  expect(res.status).toBe(200);
  return (res.body as { access_token: string }).access_token;
}

interface PartialGuild {
  id: string;
  name: string;
  owner: boolean;
  permissions: string;
}

async function guildsOf(instance: DiscordEmulator, token: string): Promise<PartialGuild[]> {
  const res = await http(`${instance.apiUrl}/v10/users/@me/guilds`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return res.body as PartialGuild[];
}

describe('OAuth2 code flow', () => {
  it('shows a page listing the seeded users to log in as', async () => {
    const instance = await emulator();
    const res = await http(authorizeUrl(instance, {}));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = String(res.body);
    for (const id of [
      DEMO.users.owner,
      DEMO.users.admin,
      DEMO.users.admin2,
      DEMO.users.moderator,
      DEMO.users.member,
    ]) {
      expect(html).toContain(`data-user-id="${id}"`);
    }
    expect(html).not.toContain(`data-user-id="${DEMO.users.bot}"`);
    expect(html).toContain('theo7791l');
    expect(html).toContain(`user_id=${DEMO.users.owner}`);
  });

  it('goes from authorize to /users/@me/guilds for the owner, with the right owner flag and permissions', async () => {
    const instance = await emulator();
    const code = await authorize(instance, DEMO.users.owner);
    const token = await exchange(instance, code);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 604800, scope: 'identify guilds' });
    const { access_token, refresh_token } = token.body as { access_token: string; refresh_token: string };
    expect(refresh_token).toEqual(expect.any(String));

    const me = await http(`${instance.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(me.body).toMatchObject({ id: DEMO.users.owner, username: 'theo7791l', global_name: 'Théo' });
    expect(me.body).not.toHaveProperty('email');

    expect(await guildsOf(instance, access_token)).toEqual([
      expect.objectContaining({
        id: DEMO.guildId,
        name: 'Wolaro Demo',
        owner: true,
        permissions: ALL_PERMISSIONS.toString(),
      }),
    ]);
  });

  it('computes permissions from roles for admins, moderators and members', async () => {
    const instance = await emulator();
    const [admin] = await guildsOf(instance, await login(instance, DEMO.users.admin));
    expect(admin).toMatchObject({ owner: false, permissions: ALL_PERMISSIONS.toString() });
    const [admin2] = await guildsOf(instance, await login(instance, DEMO.users.admin2));
    expect(admin2).toMatchObject({ owner: false, permissions: ALL_PERMISSIONS.toString() });
    const [moderator] = await guildsOf(instance, await login(instance, DEMO.users.moderator));
    const modPerms = BigInt(moderator?.permissions ?? '0');
    expect(modPerms & PermissionFlags.KickMembers).toBe(PermissionFlags.KickMembers);
    expect(modPerms & PermissionFlags.Administrator).toBe(0n);
    const [member] = await guildsOf(instance, await login(instance, DEMO.users.member));
    expect(member).toMatchObject({ owner: false, permissions: DEFAULT_EVERYONE_PERMISSIONS.toString() });
  });

  it('refuses a wrong client secret and a reused code, and supports refresh tokens', async () => {
    const instance = await emulator();
    const code = await authorize(instance, DEMO.users.member);
    const wrongSecret = await exchange(instance, code, 'nope');
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toEqual({ error: 'invalid_client' });
    const ok = await exchange(instance, code);
    expect(ok.status).toBe(200);
    const reused = await exchange(instance, code);
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid "code" in request.' });

    const { access_token, refresh_token } = ok.body as { access_token: string; refresh_token: string };
    const refreshed = await http(`${instance.url}/api/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${instance.applicationId}:${instance.clientSecret}`).toString('base64')}`,
      },
      raw: new URLSearchParams({ grant_type: 'refresh_token', refresh_token }).toString(),
    });
    expect(refreshed.status).toBe(200);
    const newToken = (refreshed.body as { access_token: string }).access_token;
    expect(newToken).not.toBe(access_token);
    const old = await http(`${instance.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(old.status).toBe(401);
    expect((await guildsOf(instance, newToken)).length).toBe(1);
  });

  it('honors scopes: no guilds scope → 401 on /users/@me/guilds; email scope adds the email', async () => {
    const instance = await emulator();
    const token = await login(instance, DEMO.users.admin, 'identify email');
    const guilds = await http(`${instance.apiUrl}/v10/users/@me/guilds`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(guilds.status).toBe(401);
    const me = await http(`${instance.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.body).toMatchObject({
      id: DEMO.users.admin,
      email: expect.stringContaining('@'),
      verified: true,
    });
    // A bearer token is not a bot token.
    const botRoute = await http(`${instance.apiUrl}/v10/guilds/${DEMO.guildId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(botRoute.status).toBe(401);
  });

  it('redirects with an error when the user cancels or the request is invalid', async () => {
    const instance = await emulator();
    const denied = await http(authorizeUrl(instance, { deny: '1' }));
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('xyz');
    const badScope = new URL(
      (await http(authorizeUrl(instance, { scope: 'identify bogus' }))).headers.get('location') ?? '',
    );
    expect(badScope.searchParams.get('error')).toBe('invalid_scope');
    expect((await http(authorizeUrl(instance, { client_id: '1' }))).status).toBe(400);
    expect((await http(authorizeUrl(instance, { redirect_uri: 'javascript:alert(1)' }))).status).toBe(400);
  });

  it('serves the authorize endpoint under /api too and lets control-created users log in', async () => {
    const instance = await emulator();
    const user = instance.control.createUser({ username: 'newcomer' });
    instance.control.addMember(DEMO.guildId, { userId: user.id, roles: ['Moderator'] });
    const query = new URLSearchParams({
      client_id: instance.applicationId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'identify guilds guilds.members.read',
      user_id: user.id,
    });
    const res = await http(`${instance.apiUrl}/oauth2/authorize?${query}`);
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const token = (await exchange(instance, code)).body as { access_token: string };
    const member = await http(`${instance.apiUrl}/v10/users/@me/guilds/${DEMO.guildId}/member`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({
      user: { id: user.id, username: 'newcomer' },
      roles: [DEMO.roles.moderator],
    });
  });
});
