import { DEMO, type DiscordEmulator } from '../src/index.js';
import type { Call } from './spec_conformance.test.js';

/**
 * The requests of the conformance test, area by area: each served operation with a success answer, and the
 * common error answers (404 unknown, 403 missing permissions, 400 invalid form body).
 */
export async function conformanceScript(emulator: DiscordEmulator, call: Call): Promise<void> {
  await gatewayAndUsers(emulator, call);
  await commands(emulator, call);
  await guilds(call);
  await messages(call);
  await interactions(emulator, call);
}

const app = DEMO.applicationId;
const guild = DEMO.guildId;
const general = DEMO.channels.general;
const id = <T>(exchange: { body: unknown }): T => (exchange.body as { id: T }).id;

async function gatewayAndUsers(emulator: DiscordEmulator, call: Call): Promise<void> {
  await call('GET', '/gateway', { auth: null });
  await call('GET', '/gateway/bot');
  await call('GET', '/gateway/bot', { auth: 'Bot wrong', status: 401 });
  await call('GET', '/users/@me');
  await call('GET', `/users/${DEMO.users.owner}`);
  await call('GET', '/users/999999999999999999', { status: 404 });
  await call('GET', '/applications/@me');
  await call('GET', '/oauth2/applications/@me');
  const token = await bearer(emulator);
  await call('GET', '/oauth2/@me', { auth: `Bearer ${token}` });
  await call('GET', '/users/@me/guilds', { auth: `Bearer ${token}` });
  await call('GET', `/users/@me/guilds/${guild}/member`, { auth: `Bearer ${token}` });
}

async function bearer(emulator: DiscordEmulator): Promise<string> {
  const authorize = new URL(`${emulator.url}/oauth2/authorize`);
  const params = {
    client_id: emulator.applicationId,
    redirect_uri: 'http://localhost/cb',
    response_type: 'code',
    scope: 'identify guilds guilds.members.read',
    user_id: DEMO.users.admin,
  };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const res = await fetch(`${emulator.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://localhost/cb',
      client_id: emulator.applicationId,
      client_secret: emulator.clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function commands(_emulator: DiscordEmulator, call: Call): Promise<void> {
  for (const base of [`/applications/${app}/commands`, `/applications/${app}/guilds/${guild}/commands`]) {
    const set = await call('PUT', base, {
      body: [
        { name: 'ping', description: 'Ping', options: [{ type: 3, name: 'text', description: 'Text' }] },
        { type: 2, name: 'User info' },
        { type: 3, name: 'Report message' },
      ],
    });
    const first = (set.body as { id: string }[])[0]?.id ?? '';
    await call('GET', base);
    const created = await call('POST', base, { body: { name: 'echo', description: 'Echo' }, status: 201 });
    await call('GET', `${base}/${first}`);
    await call('PATCH', `${base}/${first}`, { body: { description: 'Pong!' } });
    await call('DELETE', `${base}/${id<string>(created)}`);
    await call('GET', `${base}/${id<string>(created)}`, { status: 404 });
    await call('POST', base, { body: { name: 'Bad Name', description: 'x' }, status: 400 });
  }
}

async function guilds(call: Call): Promise<void> {
  await call('GET', `/guilds/${guild}`);
  await call('GET', `/guilds/${guild}?with_counts=true`);
  await call('GET', '/guilds/999999999999999999', { status: 404 });
  await call('GET', `/guilds/${guild}/channels`);
  await call('GET', `/guilds/${guild}/roles`);
  await call('GET', `/guilds/${guild}/roles/${DEMO.roles.admin}`);
  await call('GET', `/guilds/${guild}/members?limit=10`);
  await call('GET', `/guilds/${guild}/members/search?query=nina`);
  await call('GET', `/guilds/${guild}/members/${DEMO.users.member}`);
  await call('PATCH', `/guilds/${guild}/members/${DEMO.users.member}`, { body: { nick: 'Nina' } });
  await call('PATCH', `/guilds/${guild}/members/@me`, { body: { nick: 'Wolaro Bot' } });
  await call('PUT', `/guilds/${guild}/members/${DEMO.users.member}/roles/${DEMO.roles.moderator}`, {
    status: 204,
  });
  await call('DELETE', `/guilds/${guild}/members/${DEMO.users.member}/roles/${DEMO.roles.moderator}`);
}

async function messages(call: Call): Promise<void> {
  await call('GET', `/channels/${general}`);
  await call('GET', '/channels/999999999999999999', { status: 404 });
  const embed = { title: 'Hello', description: 'World' };
  const button = { type: 2, style: 1, label: 'OK', custom_id: 'ok' };
  const sent = await call('POST', `/channels/${general}/messages`, {
    body: { content: 'hi', embeds: [embed], components: [{ type: 1, components: [button] }] },
  });
  const messageId = id<string>(sent);
  await call('GET', `/channels/${general}/messages?limit=5`);
  await call('GET', `/channels/${general}/messages/${messageId}`);
  await call('PATCH', `/channels/${general}/messages/${messageId}`, { body: { content: 'edited' } });
  await call('POST', `/channels/${general}/typing`, { status: 204 });
  await call('POST', `/channels/${general}/messages`, { body: {}, status: 400 });
  await call('DELETE', `/channels/${general}/messages/${messageId}`);
  await call('GET', `/channels/${general}/messages/${messageId}`, { status: 404 });
}

async function interactions(emulator: DiscordEmulator, call: Call): Promise<void> {
  const reply = emulator.control.createInteraction({
    guildId: guild,
    channelId: general,
    userId: DEMO.users.member,
    command: 'ping',
  });
  const button = { type: 2, style: 1, label: 'Again', custom_id: 'again' };
  await call('POST', `/interactions/${reply.id}/${reply.token}/callback?with_response=true`, {
    auth: null,
    body: {
      type: 4,
      data: { content: 'pong', embeds: [{ title: 'Pong' }], components: [{ type: 1, components: [button] }] },
    },
  });
  const hook = `/webhooks/${app}/${reply.token}`;
  await call('GET', `${hook}/messages/@original`, { auth: null });
  await call('PATCH', `${hook}/messages/@original`, { auth: null, body: { content: 'pong!' } });
  const follow = await call('POST', `${hook}?wait=true`, { auth: null, body: { content: 'more' } });
  await call('GET', `${hook}/messages/${id<string>(follow)}`, { auth: null });
  await call('PATCH', `${hook}/messages/${id<string>(follow)}`, { auth: null, body: { content: 'more!' } });
  await call('DELETE', `${hook}/messages/${id<string>(follow)}`, { auth: null });
  await call('DELETE', `${hook}/messages/@original`, { auth: null });
  await call('POST', `/interactions/${reply.id}/${reply.token}/callback`, {
    auth: null,
    body: { type: 4, data: { content: 'again' } },
    status: 400,
  });
}
