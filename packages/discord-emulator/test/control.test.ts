import { Events, type GuildMember } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { type ControlState, DEMO, EmulatorError, type EmulatorSnapshot } from '../src/index.js';
import { emulator, http, nextEvent, ready } from './helpers.js';

describe('control API', () => {
  it('GET /_emulator/state lists guilds, channels, roles, members, users, commands and connected bots', async () => {
    const instance = await emulator();
    const res = await http(`${instance.url}/_emulator/state`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const state = res.body as ControlState;
    expect(state.application).toEqual({
      id: DEMO.applicationId,
      name: 'Wolaro',
      ownerId: DEMO.users.owner,
      botUserId: DEMO.users.bot,
      redirectUris: [],
    });
    expect(state.guilds.map((g) => [g.id, g.name])).toEqual([[DEMO.guildId, 'Wolaro Demo']]);
    expect(state.channels.map((c) => c.name)).toEqual(['Salons textuels', 'général', 'logs', 'welcome']);
    expect(state.roles.map((r) => r.name)).toEqual(['@everyone', 'Moderator', 'Admin', 'Wolaro']);
    expect(state.members.map((m) => m.user.id).sort()).toEqual(
      [
        DEMO.users.owner,
        DEMO.users.admin,
        DEMO.users.moderator,
        DEMO.users.member,
        DEMO.users.admin2,
        DEMO.users.bot,
      ].sort(),
    );
    expect(state.members.every((m) => m.guild_id === DEMO.guildId)).toBe(true);
    expect(state.users.find((u) => u.id === DEMO.users.owner)?.username).toBe('theo7791l');
    expect(state.commands).toEqual([]);
    expect(state.connectedBots).toEqual([]);
  });

  it('returns { error: { code, message } } with 400 and 404', async () => {
    const instance = await emulator();
    const missingName = await http(`${instance.url}/_emulator/guilds`, {
      method: 'POST',
      body: { ownerId: DEMO.users.owner },
    });
    expect(missingName.status).toBe(400);
    expect(missingName.body).toMatchObject({
      error: { code: 'invalid_body', message: expect.stringContaining('name') },
    });
    const invalidJson = await http(`${instance.url}/_emulator/guilds`, { method: 'POST', raw: '{' });
    expect(invalidJson.status).toBe(400);
    expect(invalidJson.body).toMatchObject({ error: { code: 'invalid_json' } });
    const unknownGuild = await http(`${instance.url}/_emulator/guilds/1/members/${DEMO.users.admin}`, {
      method: 'PATCH',
      body: { roles: [] },
    });
    expect(unknownGuild.status).toBe(404);
    expect(unknownGuild.body).toEqual({ error: { code: 'not_found', message: 'Unknown Guild' } });
    const unknownRole = await http(
      `${instance.url}/_emulator/guilds/${DEMO.guildId}/members/${DEMO.users.admin}`,
      {
        method: 'PATCH',
        body: { roles: ['Nope'] },
      },
    );
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body).toMatchObject({ error: { code: 'bad_request' } });
    const unknownChannel = await http(`${instance.url}/_emulator/channels/1/messages`);
    expect(unknownChannel.status).toBe(404);
    const unknownInteraction = await http(`${instance.url}/_emulator/interactions/1`);
    expect(unknownInteraction.status).toBe(404);
    const unknownRoute = await http(`${instance.url}/_emulator/nope`);
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body).toMatchObject({ error: { code: 'not_found' } });
    expect(() => instance.control.sendMessage('1', { authorId: DEMO.users.member, content: 'x' })).toThrow(
      EmulatorError,
    );
  });

  it('creates guilds over HTTP and returns them with channels, roles and members', async () => {
    const instance = await emulator();
    const res = await http(`${instance.url}/_emulator/guilds`, {
      method: 'POST',
      body: {
        name: 'HTTP guild',
        ownerId: DEMO.users.moderator,
        roles: [{ name: 'VIP', permissions: '8', color: 255 }],
        channels: [{ name: 'lobby' }, { name: 'Voice', type: 'voice' }],
        members: [{ userId: '100000000000000077', user: { username: 'fresh' }, roles: ['VIP'] }],
      },
    });
    expect(res.status).toBe(201);
    const guild = res.body as {
      id: string;
      owner_id: string;
      roles: { name: string }[];
      channels: { name: string; type: number }[];
      members: { user: { id: string } }[];
    };
    expect(guild.owner_id).toBe(DEMO.users.moderator);
    expect(guild.roles.map((r) => r.name)).toEqual(['@everyone', 'VIP', 'Wolaro']);
    expect(guild.channels.map((c) => [c.name, c.type])).toEqual([
      ['lobby', 0],
      ['Voice', 2],
    ]);
    expect(guild.members.map((m) => m.user.id).sort()).toEqual(
      ['100000000000000077', DEMO.users.moderator, DEMO.users.bot].sort(),
    );
    expect(instance.state.user('100000000000000077')?.username).toBe('fresh');
  });

  it('adds members (GUILD_MEMBER_ADD) and removes them (GUILD_MEMBER_REMOVE)', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const added = nextEvent<[GuildMember]>(bot, Events.GuildMemberAdd);
    const res = await http(`${instance.url}/_emulator/guilds/${DEMO.guildId}/members`, {
      method: 'POST',
      body: { userId: '100000000000000066', user: { username: 'joiner' } },
    });
    expect(res.status).toBe(201);
    expect((await added)[0].user.username).toBe('joiner');
    const removed = nextEvent<[GuildMember]>(bot, Events.GuildMemberRemove);
    const del = await http(`${instance.url}/_emulator/guilds/${DEMO.guildId}/members/100000000000000066`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(204);
    expect((await removed)[0].id).toBe('100000000000000066');
  });

  it('snapshot() and restore() are deep copies', async () => {
    const instance = await emulator();
    const snap = instance.snapshot();
    const channel = instance.control.createChannel(DEMO.guildId, { name: 'temp' });
    instance.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: 'hello' });
    expect(snap.channels.some((c) => c.id === channel.id)).toBe(false);
    expect(instance.state.channel(channel.id)).toBeDefined();

    instance.restore(snap);
    expect(instance.state.channel(channel.id)).toBeUndefined();
    expect(instance.control.messages(DEMO.channels.general)).toEqual([]);
    // Mutating the state doesn't touch the snapshot, and mutating a snapshot doesn't touch the state.
    instance.control.updateMember(DEMO.guildId, DEMO.users.admin, { roles: [] });
    expect(snap.members.find((m) => m.user_id === DEMO.users.admin)?.roles).toEqual([DEMO.roles.admin]);
    const copy = instance.snapshot();
    copy.members.find((m) => m.user_id === DEMO.users.member)?.roles.push('x');
    expect(instance.state.member(DEMO.guildId, DEMO.users.member)?.roles).toEqual([]);
    instance.restore(copy);
    expect(instance.state.member(DEMO.guildId, DEMO.users.member)?.roles).toEqual(['x']);
    copy.members.find((m) => m.user_id === DEMO.users.member)?.roles.push('y');
    expect(instance.state.member(DEMO.guildId, DEMO.users.member)?.roles).toEqual(['x']);
  });

  it('snapshots and restores over HTTP, and resets to the start seed or another one', async () => {
    const instance = await emulator();
    const snap = (await http(`${instance.url}/_emulator/snapshot`)).body as EmulatorSnapshot;
    instance.control.deleteGuild(DEMO.guildId);
    expect(instance.control.state().guilds).toEqual([]);
    const invalid = await http(`${instance.url}/_emulator/restore`, { method: 'POST', body: { version: 1 } });
    expect(invalid.status).toBe(400);
    expect(instance.control.state().guilds).toEqual([]); // untouched by the invalid snapshot
    const restored = await http(`${instance.url}/_emulator/restore`, { method: 'POST', body: snap });
    expect(restored.status).toBe(204);
    expect(instance.control.state().guilds.map((g) => g.id)).toEqual([DEMO.guildId]);

    await http(`${instance.url}/_emulator/reset`, { method: 'POST', body: { seed: 'empty' } });
    expect(instance.control.state().guilds).toEqual([]);
    expect(instance.control.state().users.map((u) => u.id)).toEqual([DEMO.users.bot]);
    await http(`${instance.url}/_emulator/reset`, { method: 'POST' });
    expect(instance.control.state().guilds.map((g) => g.name)).toEqual(['Wolaro Demo']);
  });

  it('starts with the empty seed, a custom seed and a custom bot token', async () => {
    const empty = await emulator({ seed: 'empty' });
    expect(empty.control.state().guilds).toEqual([]);
    const custom = await emulator({
      botToken: 'custom.bot.token',
      seed: {
        application: { id: '900000000000000001', name: 'Other bot' },
        users: [{ id: '900000000000000002', username: 'boss' }],
        guilds: [
          {
            id: '900000000000000003',
            name: 'Custom',
            ownerId: '900000000000000002',
            channels: [{ name: 'chat' }],
          },
        ],
      },
    });
    expect(custom.applicationId).toBe('900000000000000001');
    expect(custom.botToken).toBe('custom.bot.token');
    const bot = await ready(custom);
    expect(bot.user.username).toBe('Other bot');
    expect(bot.guilds.cache.get('900000000000000003')?.channels.cache.map((c) => c.name)).toEqual(['chat']);
  });
});
