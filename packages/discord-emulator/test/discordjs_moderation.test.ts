import {
  AuditLogEvent,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Guild,
  type GuildBan,
  type Role,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../src/index.js';
import { emulator, http, nextEvent, ready } from './helpers.js';

const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildModeration,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildExpressions,
];

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

async function demoGuild() {
  const instance = await emulator();
  const bot = await ready(instance, { intents: INTENTS });
  const guild = bot.guilds.cache.get(DEMO.guildId);
  if (!guild) throw new Error('demo guild missing');
  return { instance, bot, guild };
}

describe('discord.js moderation, guild, role and emoji calls against the emulator', () => {
  it('guild.bans.create / fetch / remove with guildBanAdd, guildMemberRemove, guildBanRemove and the audit log', async () => {
    const { bot, guild } = await demoGuild();
    const banAdd = nextEvent<[GuildBan]>(bot, Events.GuildBanAdd);
    const memberRemove = nextEvent(bot, Events.GuildMemberRemove);
    await guild.bans.create(DEMO.users.member, { reason: 'spam', deleteMessageSeconds: 60 });
    const [ban] = await banAdd;
    await memberRemove;
    expect(ban.user.id).toBe(DEMO.users.member);
    expect(guild.members.cache.has(DEMO.users.member)).toBe(false);
    const fetched = await guild.bans.fetch(DEMO.users.member);
    expect(fetched.reason).toBe('spam');
    expect((await guild.bans.fetch()).map((b) => b.user.id)).toEqual([DEMO.users.member]);
    const logs = await guild.fetchAuditLogs({ type: AuditLogEvent.MemberBanAdd });
    expect(logs.entries.first()?.targetId).toBe(DEMO.users.member);
    expect(logs.entries.first()?.reason).toBe('spam');
    expect(logs.entries.first()?.executorId).toBe(DEMO.users.bot);

    const banRemove = nextEvent(bot, Events.GuildBanRemove);
    await guild.bans.remove(DEMO.users.member);
    await banRemove;
    await expect(guild.bans.fetch({ user: DEMO.users.member, force: true })).rejects.toMatchObject({
      code: 10026,
    });
    const bulk = await guild.bans.bulkCreate([DEMO.users.admin2, DEMO.users.owner]);
    expect(bulk.bannedUsers).toEqual([DEMO.users.admin2]);
    expect(bulk.failedUsers).toEqual([DEMO.users.owner]);
  });

  it('a bot without BAN_MEMBERS gets 50013 Missing Permissions; a user ban through the control API reaches discord.js', async () => {
    const instance = await emulator();
    const weak = instance.control.createGuild({
      name: 'Weak bot',
      ownerId: DEMO.users.owner,
      members: [{ userId: DEMO.users.member }, { userId: DEMO.users.moderator }],
      botPermissions: '3072', // VIEW_CHANNEL | SEND_MESSAGES
    });
    const bot = await ready(instance, { intents: INTENTS });
    const guild = bot.guilds.cache.get(weak.id) as Guild;
    const error = await guild.bans.create(DEMO.users.member).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({ status: 403, code: 50013, message: 'Missing Permissions' });
    await expect(guild.members.kick(DEMO.users.member)).rejects.toMatchObject({ code: 50013 });
    await expect(guild.fetchAuditLogs()).rejects.toMatchObject({ code: 50013 });

    const banAdd = nextEvent<[GuildBan]>(bot, Events.GuildBanAdd);
    instance.control.banMember(weak.id, DEMO.users.member, { byUserId: DEMO.users.owner, reason: 'raid' });
    expect((await banAdd)[0].user.id).toBe(DEMO.users.member);
    const banRemove = nextEvent(bot, Events.GuildBanRemove);
    instance.control.unbanMember(weak.id, DEMO.users.member, { byUserId: DEMO.users.owner });
    await banRemove;
  });

  it('guild.edit fires guildUpdate; control.updateGuild transfers ownership (PATCH /_emulator/guilds/:id)', async () => {
    const { instance, bot, guild } = await demoGuild();
    const update = nextEvent<[Guild, Guild]>(bot, Events.GuildUpdate);
    await guild.edit({ name: 'Renamed', description: 'hello' });
    const [before, after] = await update;
    expect(before.name).toBe('Wolaro Demo');
    expect(after.name).toBe('Renamed');

    const transfer = nextEvent<[Guild, Guild]>(bot, Events.GuildUpdate);
    instance.control.updateGuild(DEMO.guildId, { ownerId: DEMO.users.admin });
    expect((await transfer)[1].ownerId).toBe(DEMO.users.admin);
    const rename = nextEvent<[Guild, Guild]>(bot, Events.GuildUpdate);
    const res = await http(`${instance.url}/_emulator/guilds/${DEMO.guildId}`, {
      method: 'PATCH',
      body: { name: 'Over HTTP' },
    });
    expect(res.status).toBe(200);
    expect((await rename)[1].name).toBe('Over HTTP');
    const bad = await http(`${instance.url}/_emulator/guilds/${DEMO.guildId}`, {
      method: 'PATCH',
      body: { ownerId: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(() => instance.control.updateGuild(DEMO.guildId, { ownerId: '999999999999999999' })).toThrow(
      /member/,
    );
  });

  it('guild.roles.create / role.edit / setPosition / delete, and control.updateRole / deleteRole reach discord.js', async () => {
    const { instance, bot, guild } = await demoGuild();
    const created = nextEvent<[Role]>(bot, Events.GuildRoleCreate);
    const role = await guild.roles.create({ name: 'Helper', color: 0x3498db, mentionable: true });
    expect((await created)[0].id).toBe(role.id);
    const updated = nextEvent<[Role, Role]>(bot, Events.GuildRoleUpdate, (_o, n) => n.id === role.id);
    await role.edit({ name: 'Helpers' });
    expect((await updated)[1].name).toBe('Helpers');
    await guild.roles.setPositions([{ role: role.id, position: 2 }]);
    const counts = await guild.roles.fetchMemberCounts();
    expect(counts.get(DEMO.roles.admin)).toBe(2);
    expect(counts.get(role.id)).toBe(0);
    expect(guild.roles.cache.get(role.id)?.position).toBe(2);
    await expect(guild.roles.cache.get(DEMO.roles.admin)?.edit({ name: 'x' })).resolves.toBeDefined();

    const controlUpdate = nextEvent<[Role, Role]>(bot, Events.GuildRoleUpdate, (_o, n) => n.id === role.id);
    instance.control.updateRole(DEMO.guildId, role.id, { permissions: '2048', name: 'Talkers' });
    const [, after] = await controlUpdate;
    expect(after.name).toBe('Talkers');
    expect(after.permissions.bitfield).toBe(2048n);
    const controlDelete = nextEvent<[Role]>(bot, Events.GuildRoleDelete);
    instance.control.deleteRole(DEMO.guildId, role.id);
    expect((await controlDelete)[0].id).toBe(role.id);

    const other = await guild.roles.create({ name: 'Temp' });
    const deleted = nextEvent<[Role]>(bot, Events.GuildRoleDelete);
    await other.delete();
    expect((await deleted)[0].id).toBe(other.id);
  });

  it('guild.emojis.create / edit / delete with emojiCreate, emojiUpdate, emojiDelete', async () => {
    const { bot, guild } = await demoGuild();
    const created = nextEvent(bot, Events.GuildEmojiCreate);
    const emoji = await guild.emojis.create({ attachment: PNG, name: 'wolaro' });
    await created;
    expect(emoji.name).toBe('wolaro');
    expect((await guild.emojis.fetch()).map((e) => e.name)).toEqual(['wolaro']);
    expect((await guild.emojis.fetch(emoji.id, { force: true })).name).toBe('wolaro');
    const updated = nextEvent(bot, Events.GuildEmojiUpdate);
    await emoji.edit({ name: 'wolaro2' });
    await updated;
    const deleted = nextEvent(bot, Events.GuildEmojiDelete);
    await emoji.delete();
    await deleted;
    expect(guild.emojis.cache.size).toBe(0);
  });
});
