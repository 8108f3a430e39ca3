import { Events, GatewayIntentBits, type GuildMember, type Message } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../src/index.js';
import { emulator, http, nextEvent, ready, until } from './helpers.js';

describe('gateway dispatches from the control API', () => {
  it('fires guildMemberUpdate with the right old and new members when a role is removed over HTTP', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const updated = nextEvent<[GuildMember, GuildMember]>(bot, Events.GuildMemberUpdate);
    const res = await http(`${instance.url}/_emulator/guilds/${DEMO.guildId}/members/${DEMO.users.admin}`, {
      method: 'PATCH',
      body: { roles: [] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ roles: [], user: { id: DEMO.users.admin } });
    const [oldMember, newMember] = await updated;
    expect(oldMember.id).toBe(DEMO.users.admin);
    expect(oldMember.roles.cache.has(DEMO.roles.admin)).toBe(true);
    expect(newMember.roles.cache.has(DEMO.roles.admin)).toBe(false);
    expect(newMember.permissions.has('Administrator')).toBe(false);
  });

  it('accepts role names in member updates and adds roles back', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const updated = nextEvent<[GuildMember, GuildMember]>(bot, Events.GuildMemberUpdate);
    instance.control.updateMember(DEMO.guildId, DEMO.users.member, {
      roles: ['Moderator'],
      nick: 'Nina (mod)',
    });
    const [oldMember, newMember] = await updated;
    expect(oldMember.roles.cache.has(DEMO.roles.moderator)).toBe(false);
    expect(newMember.roles.cache.has(DEMO.roles.moderator)).toBe(true);
    expect(newMember.nickname).toBe('Nina (mod)');
  });

  it('fires messageCreate for a control message, and the bot reply shows up in the control message list', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    bot.on(Events.MessageCreate, async (message) => {
      if (message.author.bot || message.content !== '!ping') return;
      await message.reply('pong');
      await message.channel.send({
        content: 'and an embed',
        embeds: [{ title: 'Status', description: 'ok' }],
      });
    });
    const received = nextEvent<[Message]>(bot, Events.MessageCreate, (m) => !m.author.bot);
    const res = await http(`${instance.url}/_emulator/channels/${DEMO.channels.general}/messages`, {
      method: 'POST',
      body: { authorId: DEMO.users.member, content: '!ping' },
    });
    expect(res.status).toBe(201);
    const [message] = await received;
    expect(message.content).toBe('!ping');
    expect(message.author.id).toBe(DEMO.users.member);
    expect(message.member?.id).toBe(DEMO.users.member);
    expect(message.guildId).toBe(DEMO.guildId);

    const list = await until(async () => {
      const r = await http(`${instance.url}/_emulator/channels/${DEMO.channels.general}/messages`);
      const messages = r.body as {
        content: string;
        author: { id: string };
        type: number;
        embeds: unknown[];
      }[];
      return messages.length === 3 ? messages : null;
    });
    expect(list.map((m) => [m.author.id, m.content])).toEqual([
      [DEMO.users.member, '!ping'],
      [DEMO.users.bot, 'pong'],
      [DEMO.users.bot, 'and an embed'],
    ]);
    expect(list[1]?.type).toBe(19); // reply
    expect(list[2]?.embeds).toEqual([{ type: 'rich', title: 'Status', description: 'ok' }]); // Discord adds the type
    // The bot sees its own messages too, like on Discord.
    expect(bot.channels.cache.get(DEMO.channels.general)?.isTextBased()).toBe(true);
  });

  it('strips message content for bots without MESSAGE_CONTENT, except when the bot is mentioned', async () => {
    const instance = await emulator();
    const bot = await ready(instance, {
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
    });
    const plain = nextEvent<[Message]>(bot, Events.MessageCreate);
    instance.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: 'secret' });
    const [first] = await plain;
    expect(first.content).toBe('');

    const mention = nextEvent<[Message]>(bot, Events.MessageCreate);
    instance.control.sendMessage(DEMO.channels.general, {
      authorId: DEMO.users.member,
      content: `<@${DEMO.users.bot}> hello`,
    });
    const [second] = await mention;
    expect(second.content).toBe(`<@${DEMO.users.bot}> hello`);
    expect(second.mentions.users.has(DEMO.users.bot)).toBe(true);
  });

  it('does not deliver GUILD_MEMBER_UPDATE for other members without GUILD_MEMBERS', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: [GatewayIntentBits.Guilds] });
    let updates = 0;
    bot.on(Events.GuildMemberUpdate, () => {
      updates += 1;
    });
    const roleUpdate = nextEvent(bot, Events.GuildRoleUpdate);
    instance.control.updateMember(DEMO.guildId, DEMO.users.admin, { roles: [] });
    instance.control.updateRole(DEMO.guildId, DEMO.roles.admin, { color: 0xff0000 });
    await roleUpdate; // dispatched after the member update, so that one would have arrived first
    expect(updates).toBe(0);
  });

  it('edits and deletes the bot messages through REST (MESSAGE_UPDATE / MESSAGE_DELETE)', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const channel = bot.channels.cache.get(DEMO.channels.welcome);
    if (!channel?.isSendable()) throw new Error('not sendable');
    const sent = await channel.send('first draft');
    const edited = await sent.edit('final');
    expect(edited.content).toBe('final');
    expect(instance.control.messages(DEMO.channels.welcome).map((m) => m.content)).toEqual(['final']);
    expect(instance.control.messages(DEMO.channels.welcome)[0]?.edited_timestamp).not.toBeNull();
    await sent.delete();
    expect(instance.control.messages(DEMO.channels.welcome)).toEqual([]);
    const fetched = await channel.messages.fetch({ limit: 10 });
    expect(fetched.size).toBe(0);
  });

  it('uploads files through multipart and serves them back', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const channel = bot.channels.cache.get(DEMO.channels.general);
    if (!channel?.isSendable()) throw new Error('not sendable');
    const sent = await channel.send({
      content: 'report',
      files: [{ attachment: Buffer.from('hello file'), name: 'report.txt' }],
    });
    const attachment = sent.attachments.first();
    expect(attachment?.name).toBe('report.txt');
    expect(attachment?.size).toBe(10);
    const res = await fetch(attachment?.url ?? '');
    expect(await res.text()).toBe('hello file');
  });
});
