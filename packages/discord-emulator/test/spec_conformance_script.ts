import { DEMO, type DiscordEmulator } from '../src/index.js';
import { bearerToken } from './helpers.js';
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
  await dms(call);
  await reactionsAndPins(call);
  await channelAdmin(call);
  await moderation(emulator, call);
  await roles(call);
  await threads(call);
  await webhooks(call);
  await emojis(call);
  await commandPermissions(emulator, call);
  await leaving(emulator, call);
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
  const token = await bearerToken(emulator, DEMO.users.admin, 'identify guilds guilds.members.read');
  await call('GET', '/oauth2/@me', { auth: `Bearer ${token}` });
  await call('GET', '/users/@me/guilds', { auth: `Bearer ${token}` });
  await call('GET', `/users/@me/guilds/${guild}/member`, { auth: `Bearer ${token}` });
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

async function dms(call: Call): Promise<void> {
  const dm = await call('POST', '/users/@me/channels', { body: { recipient_id: DEMO.users.member } });
  const dmId = id<string>(dm);
  await call('GET', `/channels/${dmId}`);
  const sent = await call('POST', `/channels/${dmId}/messages`, { body: { content: 'hello in DM' } });
  await call('GET', `/channels/${dmId}/messages`);
  await call('PATCH', `/channels/${dmId}/messages/${id<string>(sent)}`, { body: { content: 'edited DM' } });
  await call('POST', '/users/@me/channels', { body: { recipient_id: '999999999999999999' }, status: 404 });
}

async function reactionsAndPins(call: Call): Promise<void> {
  const sent = await call('POST', `/channels/${general}/messages`, { body: { content: 'react to me' } });
  const msg = `/channels/${general}/messages/${id<string>(sent)}`;
  const thumbs = encodeURIComponent('👍');
  await call('PUT', `${msg}/reactions/${thumbs}/@me`, { status: 204 });
  await call('GET', `${msg}/reactions/${thumbs}`);
  await call('GET', msg);
  await call('DELETE', `${msg}/reactions/${thumbs}/@me`);
  await call('PUT', `${msg}/reactions/${thumbs}/@me`, { status: 204 });
  await call('DELETE', `${msg}/reactions/${thumbs}/${DEMO.users.bot}`);
  await call('PUT', `${msg}/reactions/${thumbs}/@me`, { status: 204 });
  await call('DELETE', `${msg}/reactions/${thumbs}`);
  await call('PUT', `${msg}/reactions/${thumbs}/@me`, { status: 204 });
  await call('DELETE', `${msg}/reactions`);
  await call('PUT', `${msg}/reactions/nope:123/@me`, { status: 400 });
  await call('PUT', `/channels/${general}/messages/pins/${id<string>(sent)}`, { status: 204 });
  await call('GET', `/channels/${general}/messages/pins`);
  await call('GET', `/channels/${general}/pins`);
  await call('DELETE', `/channels/${general}/messages/pins/${id<string>(sent)}`);
  await call('PUT', `/channels/${general}/pins/${id<string>(sent)}`, { status: 204 });
  await call('DELETE', `/channels/${general}/pins/${id<string>(sent)}`);
  const a = await call('POST', `/channels/${general}/messages`, { body: { content: 'a' } });
  const b = await call('POST', `/channels/${general}/messages`, { body: { content: 'b' } });
  await call('POST', `/channels/${general}/messages/bulk-delete`, {
    body: { messages: [id<string>(a), id<string>(b)] },
    status: 204,
  });
  await call('POST', `/channels/${general}/messages/bulk-delete`, { body: { messages: ['1'] }, status: 400 });
}

async function channelAdmin(call: Call): Promise<void> {
  const created = await call('POST', `/guilds/${guild}/channels`, {
    body: { name: 'news', type: 5, parent_id: DEMO.channels.category, topic: 'News' },
    status: 201,
  });
  const news = id<string>(created);
  await call('PATCH', `/channels/${news}`, { body: { name: 'announcements', topic: 'All news' } });
  await call('PATCH', `/guilds/${guild}/channels`, { body: [{ id: news, position: 0 }], status: 204 });
  await call('PUT', `/channels/${news}/permissions/${DEMO.roles.moderator}`, {
    body: { type: 0, allow: '2048', deny: '0' },
    status: 204,
  });
  await call('DELETE', `/channels/${news}/permissions/${DEMO.roles.moderator}`);
  const post = await call('POST', `/channels/${news}/messages`, { body: { content: 'Big news' } });
  await call('POST', `/channels/${news}/messages/${id<string>(post)}/crosspost`);
  const invite = await call('POST', `/channels/${general}/invites`, { body: { max_age: 3600 } });
  const code = (invite.body as { code: string }).code;
  await call('GET', `/channels/${general}/invites`);
  await call('GET', `/guilds/${guild}/invites`);
  await call('GET', `/invites/${code}?with_counts=true`);
  await call('DELETE', `/invites/${code}`, { status: 200 });
  await call('GET', `/invites/${code}`, { status: 404 });
  await call('DELETE', `/channels/${news}`, { status: 200 });
  await call('POST', `/guilds/${guild}/channels`, { body: { name: '' }, status: 400 });
  await call('GET', '/voice/regions');
}

async function moderation(emulator: DiscordEmulator, call: Call): Promise<void> {
  await call('PATCH', `/guilds/${guild}`, { body: { name: 'Wolaro Demo (edited)', description: 'Edited' } });
  await call('PUT', `/guilds/${guild}/bans/${DEMO.users.member}`, {
    body: { delete_message_seconds: 60 },
    status: 204,
  });
  await call('GET', `/guilds/${guild}/bans`);
  await call('GET', `/guilds/${guild}/bans/${DEMO.users.member}`);
  await call('DELETE', `/guilds/${guild}/bans/${DEMO.users.member}`);
  await call('GET', `/guilds/${guild}/bans/${DEMO.users.member}`, { status: 404 });
  await call('PUT', `/guilds/${guild}/bans/${DEMO.users.owner}`, { status: 403 });
  await call('POST', `/guilds/${guild}/bulk-ban`, { body: { user_ids: [DEMO.users.member] } });
  await call('DELETE', `/guilds/${guild}/bans/${DEMO.users.member}`);
  emulator.control.addMember(guild, { userId: DEMO.users.member });
  await call('GET', `/guilds/${guild}/audit-logs?limit=50`);
  await call('GET', `/guilds/${guild}/audit-logs?action_type=22`);
  const weak = emulator.control.createGuild({
    name: 'Weak bot',
    ownerId: DEMO.users.owner,
    botPermissions: '3072',
  });
  await call('PUT', `/guilds/${weak.id}/bans/${DEMO.users.owner}`, { status: 403 });
  await call('GET', `/guilds/${weak.id}/audit-logs`, { status: 403 });
  await call('DELETE', `/guilds/${weak.id}/members/${DEMO.users.owner}`, { status: 403 });
}

async function roles(call: Call): Promise<void> {
  const created = await call('POST', `/guilds/${guild}/roles`, {
    body: { name: 'Helper', color: 0x3498db, permissions: '0' },
  });
  const role = id<string>(created);
  await call('PATCH', `/guilds/${guild}/roles/${role}`, { body: { name: 'Helpers', mentionable: true } });
  await call('PATCH', `/guilds/${guild}/roles`, { body: [{ id: role, position: 2 }] });
  await call('GET', `/guilds/${guild}/roles/member-counts`);
  await call('PATCH', `/guilds/${guild}/roles/${DEMO.roles.admin}`, {
    body: { permissions: '8' },
    status: 403,
  });
  await call('DELETE', `/guilds/${guild}/roles/${role}`);
  await call('DELETE', `/guilds/${guild}/roles/${role}`, { status: 404 });
}

async function threads(call: Call): Promise<void> {
  const starter = await call('POST', `/channels/${general}/messages`, {
    body: { content: 'thread starter' },
  });
  const fromMessage = await call('POST', `/channels/${general}/messages/${id<string>(starter)}/threads`, {
    body: { name: 'discussion', auto_archive_duration: 60 },
    status: 201,
  });
  const thread = id<string>(fromMessage);
  await call('GET', `/channels/${thread}`);
  await call('POST', `/channels/${thread}/messages`, { body: { content: 'in the thread' } });
  await call('PUT', `/channels/${thread}/thread-members/${DEMO.users.member}`, { status: 204 });
  await call('GET', `/channels/${thread}/thread-members?with_member=true`);
  await call('GET', `/channels/${thread}/thread-members/${DEMO.users.member}`);
  await call('DELETE', `/channels/${thread}/thread-members/${DEMO.users.member}`);
  await call('DELETE', `/channels/${thread}/thread-members/@me`);
  await call('PUT', `/channels/${thread}/thread-members/@me`, { status: 204 });
  await call('GET', `/guilds/${guild}/threads/active`);
  await call('PATCH', `/channels/${thread}`, { body: { archived: true } });
  await call('POST', `/channels/${thread}/messages`, { body: { content: 'archived' }, status: 400 });
  await call('GET', `/channels/${general}/threads/archived/public`);
  const secret = await call('POST', `/channels/${general}/threads`, {
    body: { name: 'secret', type: 12, invitable: false },
    status: 201,
  });
  await call('PATCH', `/channels/${id<string>(secret)}`, { body: { archived: true } });
  await call('GET', `/channels/${general}/threads/archived/private`);
  await call('GET', `/channels/${general}/users/@me/threads/archived/private`);
  await call('DELETE', `/channels/${id<string>(secret)}`, { status: 200 });
  await call('GET', `/channels/${id<string>(secret)}/thread-members`, { status: 404 });
}

async function webhooks(call: Call): Promise<void> {
  const created = await call('POST', `/channels/${general}/webhooks`, { body: { name: 'Announcer' } });
  const hook = created.body as { id: string; token: string };
  await call('GET', `/channels/${general}/webhooks`);
  await call('GET', `/guilds/${guild}/webhooks`);
  await call('GET', `/webhooks/${hook.id}`);
  await call('PATCH', `/webhooks/${hook.id}`, { body: { name: 'Herald' } });
  await call('GET', `/webhooks/${hook.id}/${hook.token}`, { auth: null });
  await call('PATCH', `/webhooks/${hook.id}/${hook.token}`, { auth: null, body: { name: 'Crier' } });
  const sent = await call('POST', `/webhooks/${hook.id}/${hook.token}?wait=true`, {
    auth: null,
    body: { content: 'Hear ye', embeds: [{ title: 'News' }] },
  });
  const message = `/webhooks/${hook.id}/${hook.token}/messages/${id<string>(sent)}`;
  await call('GET', message, { auth: null });
  await call('PATCH', message, { auth: null, body: { content: 'Hear ye!' } });
  await call('DELETE', message, { auth: null });
  await call('POST', `/webhooks/${hook.id}/${hook.token}`, {
    auth: null,
    body: { content: 'no wait' },
    status: 204,
  });
  await call('POST', `/webhooks/${hook.id}/wrong-token`, { auth: null, body: { content: 'x' }, status: 401 });
  await call('DELETE', `/webhooks/${hook.id}/${hook.token}`, { auth: null });
  const again = await call('POST', `/channels/${general}/webhooks`, { body: { name: 'Temp' } });
  await call('DELETE', `/webhooks/${id<string>(again)}`);
  await call('GET', `/webhooks/${id<string>(again)}`, { status: 404 });
}

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

async function emojis(call: Call): Promise<void> {
  const created = await call('POST', `/guilds/${guild}/emojis`, {
    body: { name: 'wolaro', image: PNG },
    status: 201,
  });
  const emoji = id<string>(created);
  await call('GET', `/guilds/${guild}/emojis`);
  await call('GET', `/guilds/${guild}/emojis/${emoji}`);
  await call('PATCH', `/guilds/${guild}/emojis/${emoji}`, { body: { name: 'wolaro2' } });
  const sent = await call('POST', `/channels/${general}/messages`, { body: { content: 'custom' } });
  await call('PUT', `/channels/${general}/messages/${id<string>(sent)}/reactions/wolaro2:${emoji}/@me`, {
    status: 204,
  });
  await call('GET', `/channels/${general}/messages/${id<string>(sent)}`);
  await call('DELETE', `/guilds/${guild}/emojis/${emoji}`);
  await call('GET', `/guilds/${guild}/emojis/${emoji}`, { status: 404 });
  await call('POST', `/guilds/${guild}/emojis`, { body: { name: 'x', image: 'nope' }, status: 400 });
}

async function commandPermissions(emulator: DiscordEmulator, call: Call): Promise<void> {
  const base = `/applications/${app}/guilds/${guild}/commands`;
  const list = await call('GET', base);
  const command = (list.body as { id: string }[])[0]?.id ?? '';
  const token = await bearerToken(
    emulator,
    DEMO.users.admin,
    'identify applications.commands.permissions.update',
  );
  const permissions = [{ id: DEMO.roles.moderator, type: 1, permission: true }];
  await call('PUT', `${base}/${command}/permissions`, { auth: `Bearer ${token}`, body: { permissions } });
  await call('PUT', `${base}/${command}/permissions`, { body: { permissions }, status: 401 });
  await call('GET', `${base}/${command}/permissions`);
  await call('GET', `${base}/permissions`);
  await call('GET', `${base}/${app}/permissions`, { status: 404 });
}

async function leaving(emulator: DiscordEmulator, call: Call): Promise<void> {
  const extra = emulator.control.createGuild({
    name: 'Leave me',
    ownerId: DEMO.users.owner,
    members: [{ userId: DEMO.users.member }],
  });
  await call('DELETE', `/guilds/${extra.id}/members/${DEMO.users.member}`);
  await call('DELETE', `/users/@me/guilds/${extra.id}`);
  await call('DELETE', `/users/@me/guilds/${extra.id}`, { status: 404 });
}
