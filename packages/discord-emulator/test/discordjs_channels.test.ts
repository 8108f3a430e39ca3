import {
  type AnyThreadChannel,
  ApplicationCommandPermissionType,
  ChannelType,
  Events,
  GatewayIntentBits,
  type GuildChannel,
  type Invite,
  OverwriteType,
  PermissionFlagsBits,
  type TextChannel,
  WebhookClient,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../src/index.js';
import { ALL_TEST_INTENTS, bearerToken, emulator, nextEvent, ready } from './helpers.js';

const INTENTS = [...ALL_TEST_INTENTS, GatewayIntentBits.GuildWebhooks, GatewayIntentBits.GuildInvites];

async function setup() {
  const instance = await emulator();
  const bot = await ready(instance, { intents: INTENTS });
  const guild = bot.guilds.cache.get(DEMO.guildId);
  const general = guild?.channels.cache.get(DEMO.channels.general) as TextChannel | undefined;
  if (!guild || !general) throw new Error('demo guild missing');
  return { instance, bot, guild, general };
}

describe('discord.js channels, threads, webhooks and invites against the emulator', () => {
  it('guild.channels.create / edit / permissionOverwrites / setPositions / delete', async () => {
    const { bot, guild } = await setup();
    const created = nextEvent<[GuildChannel]>(bot, Events.ChannelCreate);
    const channel = await guild.channels.create({
      name: 'Bot Logs',
      type: ChannelType.GuildText,
      topic: 'logs',
      parent: DEMO.channels.category,
    });
    expect((await created)[0].id).toBe(channel.id);
    expect(channel.name).toBe('bot-logs');
    expect(channel.parentId).toBe(DEMO.channels.category);
    const updated = nextEvent<[GuildChannel, GuildChannel]>(
      bot,
      Events.ChannelUpdate,
      (_o, n) => n.id === channel.id,
    );
    await channel.edit({ name: 'audit', topic: 'audit trail' });
    expect((await updated)[1].name).toBe('audit');
    await channel.permissionOverwrites.edit(DEMO.roles.moderator, { SendMessages: false });
    expect(channel.permissionsFor(DEMO.users.moderator)?.has(PermissionFlagsBits.SendMessages)).toBe(false);
    expect(channel.permissionOverwrites.cache.get(DEMO.roles.moderator)?.type).toBe(OverwriteType.Role);
    await channel.permissionOverwrites.delete(DEMO.roles.moderator);
    expect(channel.permissionOverwrites.cache.has(DEMO.roles.moderator)).toBe(false);
    await guild.channels.setPositions([{ channel: channel.id, position: 0 }]);
    expect((guild.channels.cache.get(channel.id) as TextChannel | undefined)?.position).toBe(0);
    const deleted = nextEvent<[GuildChannel]>(bot, Events.ChannelDelete);
    await channel.delete('cleanup');
    expect((await deleted)[0].id).toBe(channel.id);
    const log = await guild.fetchAuditLogs({ limit: 10 });
    expect(log.entries.map((e) => e.action)).toContain(12); // CHANNEL_DELETE
  });

  it('channel.threads.create, message.startThread, join/leave, members, archive and control.createThread', async () => {
    const { instance, bot, general, guild } = await setup();
    const created = nextEvent<[AnyThreadChannel, boolean]>(bot, Events.ThreadCreate);
    const thread = await general.threads.create({ name: 'planning', type: ChannelType.PrivateThread });
    const [event, newly] = await created;
    expect(event.id).toBe(thread.id);
    expect(newly).toBe(true);
    expect(thread.type).toBe(ChannelType.PrivateThread);
    expect(thread.ownerId).toBe(DEMO.users.bot);
    await thread.members.add(DEMO.users.member);
    expect((await thread.members.fetch()).map((m) => m.id).sort()).toEqual(
      [DEMO.users.member, DEMO.users.bot].sort(),
    );
    await thread.send('inside');
    expect((await thread.members.fetch({ member: DEMO.users.member })).id).toBe(DEMO.users.member);
    await thread.members.remove(DEMO.users.member);
    expect(instance.state.threadMembers.get(`${thread.id}:${DEMO.users.member}`)).toBeUndefined();
    await thread.leave();
    await thread.join();
    const archived = nextEvent<[AnyThreadChannel, AnyThreadChannel]>(bot, Events.ThreadUpdate);
    await thread.setArchived(true);
    expect((await archived)[1].archived).toBe(true);
    const privateArchived = await general.threads.fetchArchived({ type: 'private' });
    expect([...privateArchived.threads.keys()]).toEqual([thread.id]);

    const message = await general.send('start here');
    const fromMessage = await message.startThread({ name: 'replies' });
    expect(fromMessage.id).toBe(message.id);
    expect(fromMessage.type).toBe(ChannelType.PublicThread);
    const active = await guild.channels.fetchActiveThreads();
    expect([...active.threads.keys()]).toEqual([fromMessage.id]);
    await fromMessage.setArchived(true);
    expect([...(await general.threads.fetchArchived()).threads.keys()]).toEqual([fromMessage.id]);
    const joined = await general.threads.fetchArchived({ type: 'private', fetchAll: false });
    expect([...joined.threads.keys()]).toEqual([thread.id]);

    const userThread = nextEvent<[AnyThreadChannel]>(bot, Events.ThreadCreate);
    const view = instance.control.createThread(DEMO.channels.general, {
      userId: DEMO.users.member,
      name: 'help me',
    });
    expect((await userThread)[0].ownerId).toBe(DEMO.users.member);
    const removed = nextEvent<[AnyThreadChannel]>(bot, Events.ThreadDelete);
    await (bot.channels.cache.get(view.id) as AnyThreadChannel).delete();
    expect((await removed)[0].id).toBe(view.id);
  });

  it('channel.createWebhook, WebhookClient.send, webhook edit/delete and fetchWebhooks', async () => {
    const { instance, bot, guild, general } = await setup();
    const update = nextEvent(bot, Events.WebhooksUpdate);
    const webhook = await general.createWebhook({ name: 'Announcer', reason: 'news' });
    await update;
    expect(webhook.token).toBeTruthy();
    expect((await guild.fetchWebhooks()).map((w) => w.id)).toEqual([webhook.id]);
    expect((await general.fetchWebhooks()).first()?.name).toBe('Announcer');

    const client = new WebhookClient(
      { id: webhook.id, token: webhook.token ?? '' },
      { rest: { api: instance.apiUrl } },
    );
    const posted = nextEvent(bot, Events.MessageCreate, (m) => m.webhookId === webhook.id);
    const sent = await client.send({ content: 'Hear ye', username: 'Herald' });
    await posted;
    expect(sent.content).toBe('Hear ye');
    await client.editMessage(sent.id, { content: 'Hear ye!' });
    expect(instance.control.messages(DEMO.channels.general).at(-1)?.author.username).toBe('Announcer');
    await client.deleteMessage(sent.id);
    client.destroy();

    expect((await bot.fetchWebhook(webhook.id)).name).toBe('Announcer');
    const byToken = await bot.fetchWebhook(webhook.id, webhook.token ?? '');
    expect(byToken.token).toBe(webhook.token);
    const edited = await webhook.edit({ name: 'Crier' }); // by token
    expect(edited.name).toBe('Crier');
    const moved = await webhook.edit({ channel: DEMO.channels.welcome }); // bot token: PATCH /webhooks/:id
    expect(moved.channelId).toBe(DEMO.channels.welcome);
    await webhook.delete(); // by token
    const other = await general.createWebhook({ name: 'Temp' });
    await bot.deleteWebhook(other.id); // bot token: DELETE /webhooks/:id
    expect(await guild.fetchWebhooks()).toHaveProperty('size', 0);
  });

  it('channel.createInvite, guild.invites.fetch, client.fetchInvite and invite.delete with inviteCreate/Delete', async () => {
    const { bot, guild, general } = await setup();
    const created = nextEvent<[Invite]>(bot, Events.InviteCreate);
    const invite = await general.createInvite({ maxAge: 3600, maxUses: 5, unique: true });
    expect((await created)[0].code).toBe(invite.code);
    expect(invite.maxUses).toBe(5);
    expect((await guild.invites.fetch()).map((i) => i.code)).toEqual([invite.code]);
    expect((await general.fetchInvites()).map((i) => i.code)).toEqual([invite.code]);
    const fetched = await bot.fetchInvite(invite.code);
    expect(fetched.guild?.id).toBe(DEMO.guildId);
    expect(fetched.memberCount).toBe(6);
    const deleted = nextEvent<[Invite]>(bot, Events.InviteDelete);
    await invite.delete();
    expect((await deleted)[0].code).toBe(invite.code);
    await expect(bot.fetchInvite(invite.code)).rejects.toMatchObject({ code: 10006 });
    expect((await bot.fetchVoiceRegions()).size).toBeGreaterThan(0);
  });

  it('application command permissions: fetch with the bot, set with a user Bearer token', async () => {
    const { instance, guild } = await setup();
    const [command] = [
      ...(await guild.commands.set([{ name: 'warn', description: 'Warn a user' }])).values(),
    ];
    if (!command) throw new Error('command not created');
    const token = await bearerToken(
      instance,
      DEMO.users.owner,
      'identify applications.commands.permissions.update',
    );
    const permissions = [
      { id: DEMO.roles.moderator, type: ApplicationCommandPermissionType.Role, permission: true },
    ];
    const set = await command.permissions.set({ token, permissions });
    expect(set).toEqual(permissions);
    expect(await command.permissions.fetch({})).toEqual(permissions);
    const all = await guild.commands.permissions.fetch({});
    expect([...all.keys()]).toEqual([command.id]);
    await expect(command.permissions.set({ token: 'wrong', permissions })).rejects.toMatchObject({
      status: 401,
    });
  });
});
