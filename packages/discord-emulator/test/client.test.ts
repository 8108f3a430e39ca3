import { once } from 'node:events';
import {
  ChannelType,
  Events,
  GatewayIntentBits,
  type Guild,
  type GuildMember,
  PermissionFlagsBits,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../src/index.js';
import { client, emulator, nextEvent, ready } from './helpers.js';

describe('discord.js Client against the emulator', () => {
  it('logs in, gets READY and GUILD_CREATE with the seeded channels, roles and members cached', async () => {
    const instance = await emulator();
    const bot = client(instance);
    const available = nextEvent<[Guild]>(bot, Events.GuildAvailable);
    const isReady = once(bot, Events.ClientReady);
    await expect(bot.login(instance.botToken)).resolves.toBe(instance.botToken);
    const [guild] = await available;
    await isReady;

    expect(bot.user?.id).toBe(DEMO.users.bot);
    expect(bot.user?.username).toBe('Wolaro');
    expect(bot.user?.bot).toBe(true);
    expect(bot.application?.id).toBe(DEMO.applicationId);
    expect(guild.id).toBe(DEMO.guildId);
    expect(guild.name).toBe('Wolaro Demo');
    expect(guild.ownerId).toBe(DEMO.users.owner);
    expect(guild.memberCount).toBe(6);

    const channels = [...guild.channels.cache.values()];
    expect(channels.map((c) => c.name).sort()).toEqual(['Salons textuels', 'général', 'logs', 'welcome']);
    const general = guild.channels.cache.get(DEMO.channels.general);
    expect(general?.type).toBe(ChannelType.GuildText);
    expect(general?.parentId).toBe(DEMO.channels.category);
    expect(guild.channels.cache.get(DEMO.channels.category)?.type).toBe(ChannelType.GuildCategory);

    expect(guild.roles.everyone.id).toBe(DEMO.guildId);
    const admin = guild.roles.cache.get(DEMO.roles.admin);
    expect(admin?.name).toBe('Admin');
    expect(admin?.permissions.has(PermissionFlagsBits.Administrator)).toBe(true);
    const moderator = guild.roles.cache.get(DEMO.roles.moderator);
    expect(moderator?.permissions.toArray().sort()).toEqual(['BanMembers', 'KickMembers', 'ManageMessages']);
    expect(guild.roles.cache.get(DEMO.roles.bot)?.managed).toBe(true);

    expect(guild.members.cache.size).toBe(6);
    const owner = guild.members.cache.get(DEMO.users.owner);
    expect(owner?.user.username).toBe('theo7791l');
    expect(guild.members.cache.get(DEMO.users.admin)?.roles.cache.has(DEMO.roles.admin)).toBe(true);
    expect(guild.members.cache.get(DEMO.users.admin2)?.roles.cache.has(DEMO.roles.admin)).toBe(true);
    expect(guild.members.cache.get(DEMO.users.moderator)?.roles.cache.has(DEMO.roles.moderator)).toBe(true);
    expect(guild.members.cache.get(DEMO.users.member)?.roles.cache.size).toBe(1); // @everyone only
    expect(guild.members.me?.permissions.has(PermissionFlagsBits.ManageRoles)).toBe(true);

    // Channel permission overwrites are honored: logs is staff-only.
    const logs = guild.channels.cache.get(DEMO.channels.logs);
    expect(logs?.permissionsFor(DEMO.users.member)?.has(PermissionFlagsBits.ViewChannel)).toBe(false);
    expect(logs?.permissionsFor(DEMO.users.moderator)?.has(PermissionFlagsBits.ViewChannel)).toBe(true);
    expect(logs?.permissionsFor(DEMO.users.bot)?.has(PermissionFlagsBits.SendMessages)).toBe(true);

    expect(instance.control.state().connectedBots).toEqual([
      expect.objectContaining({ userId: DEMO.users.bot, connected: true, resumable: true }),
    ]);
  });

  it('emits guildCreate for a guild created through the control API, and guildDelete when deleted', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const created = nextEvent<[Guild]>(bot, Events.GuildCreate);
    const view = instance.control.createGuild({
      name: 'Second guild',
      ownerId: DEMO.users.admin,
      roles: [{ name: 'Staff', permissions: PermissionFlagsBits.ManageMessages }],
      channels: [
        { name: 'Text', type: 'category' },
        { name: 'General Chat', parent: 'Text' },
      ],
      members: [{ userId: DEMO.users.member, roles: ['Staff'] }],
    });
    const [guild] = await created;
    expect(guild.id).toBe(view.id);
    expect(guild.name).toBe('Second guild');
    expect(guild.channels.cache.find((c) => c.name === 'general-chat')?.parentId).toBe(
      guild.channels.cache.find((c) => c.name === 'Text')?.id,
    );
    const staff = guild.roles.cache.find((r) => r.name === 'Staff');
    expect(guild.members.cache.get(DEMO.users.member)?.roles.cache.has(staff?.id ?? '')).toBe(true);
    expect(guild.members.cache.has(DEMO.users.bot)).toBe(true);

    const deleted = nextEvent<[Guild]>(bot, Events.GuildDelete);
    instance.control.deleteGuild(view.id);
    const [gone] = await deleted;
    expect(gone.id).toBe(view.id);
    expect(bot.guilds.cache.has(view.id)).toBe(false);
  });

  it('keeps channel and role caches in sync (CHANNEL_CREATE/UPDATE/DELETE, GUILD_ROLE_UPDATE)', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const guild = bot.guilds.cache.get(DEMO.guildId);

    const channelCreated = nextEvent(bot, Events.ChannelCreate);
    const created = instance.control.createChannel(DEMO.guildId, { name: 'announcements', topic: 'News' });
    await channelCreated;
    expect(guild?.channels.cache.get(created.id)?.name).toBe('announcements');

    const channelUpdated = nextEvent(bot, Events.ChannelUpdate);
    instance.control.updateChannel(created.id, { name: 'news', topic: 'Latest' });
    await channelUpdated;
    const cached = guild?.channels.cache.get(created.id);
    expect(cached?.name).toBe('news');
    expect(cached?.type === ChannelType.GuildText ? cached.topic : null).toBe('Latest');

    const channelDeleted = nextEvent(bot, Events.ChannelDelete);
    instance.control.deleteChannel(created.id);
    await channelDeleted;
    expect(guild?.channels.cache.has(created.id)).toBe(false);

    const roleUpdated = nextEvent(bot, Events.GuildRoleUpdate);
    instance.control.updateRole(DEMO.guildId, DEMO.roles.moderator, { name: 'Mods', color: 0x123456 });
    const [oldRole, newRole] = await roleUpdated;
    expect(oldRole).toMatchObject({ name: 'Moderator' });
    expect(newRole).toMatchObject({ name: 'Mods', color: 0x123456 });
  });

  it('answers REST calls discord.js makes (fetch member, channel, application, members via op 8)', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const guild = bot.guilds.cache.get(DEMO.guildId);
    if (!guild) throw new Error('guild missing');
    const fetchedMember = await guild.members.fetch({ user: DEMO.users.moderator, force: true });
    expect(fetchedMember.roles.cache.has(DEMO.roles.moderator)).toBe(true);
    const all = await guild.members.fetch();
    expect(all.size).toBe(6);
    const channel = await bot.channels.fetch(DEMO.channels.welcome, { force: true });
    expect(channel?.id).toBe(DEMO.channels.welcome);
    const application = await bot.application.fetch();
    expect(application.owner?.id).toBe(DEMO.users.owner);
    const user = await bot.users.fetch(DEMO.users.admin, { force: true });
    expect(user.username).toBe('alice_admin');
    const fetchedGuild = await bot.guilds.fetch({ guild: DEMO.guildId, force: true, withCounts: true });
    expect(fetchedGuild.approximateMemberCount).toBe(6);
  });

  it('adds and removes member roles through REST (member.roles.add/remove) with GUILD_MEMBER_UPDATE', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const member = bot.guilds.cache.get(DEMO.guildId)?.members.cache.get(DEMO.users.member);
    if (!member) throw new Error('member missing');
    const added = nextEvent<[GuildMember, GuildMember]>(bot, Events.GuildMemberUpdate);
    await member.roles.add(DEMO.roles.moderator);
    expect(instance.state.member(DEMO.guildId, DEMO.users.member)?.roles).toEqual([DEMO.roles.moderator]);
    // The effect on the bot: GUILD_MEMBER_UPDATE arrives and its member cache follows.
    const [beforeAdd, afterAdd] = await added;
    expect(afterAdd.id).toBe(DEMO.users.member);
    expect(beforeAdd.roles.cache.has(DEMO.roles.moderator)).toBe(false);
    expect(afterAdd.roles.cache.has(DEMO.roles.moderator)).toBe(true);
    expect(member.roles.cache.has(DEMO.roles.moderator)).toBe(true);

    const removed = nextEvent<[GuildMember, GuildMember]>(bot, Events.GuildMemberUpdate);
    await member.roles.remove(DEMO.roles.moderator);
    expect(instance.state.member(DEMO.guildId, DEMO.users.member)?.roles).toEqual([]);
    const [beforeRemove, afterRemove] = await removed;
    expect(afterRemove.id).toBe(DEMO.users.member);
    expect(beforeRemove.roles.cache.has(DEMO.roles.moderator)).toBe(true);
    expect(afterRemove.roles.cache.has(DEMO.roles.moderator)).toBe(false);
    expect(member.roles.cache.has(DEMO.roles.moderator)).toBe(false);
    // Managed roles (the bot's own integration role) can't be assigned, even by a bot above them.
    await expect(member.roles.add(DEMO.roles.bot)).rejects.toMatchObject({ status: 403, code: 50013 });
  });

  it('does not send GUILD_CREATE without the GUILDS intent, and discord.js still becomes ready', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: [GatewayIntentBits.GuildMessages] });
    expect(bot.guilds.cache.get(DEMO.guildId)?.available).toBe(false);
  });
});
