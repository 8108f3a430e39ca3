import {
  type Channel,
  ChannelType,
  type DMChannel,
  Events,
  GatewayIntentBits,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  type TextChannel,
  type User,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../src/index.js';
import { ALL_TEST_INTENTS, botAuth, emulator, http, nextEvent, ready } from './helpers.js';

const INTENTS = [
  ...ALL_TEST_INTENTS,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
];

async function general(bot: Awaited<ReturnType<typeof ready>>): Promise<TextChannel> {
  return (await bot.channels.fetch(DEMO.channels.general)) as TextChannel;
}

describe('discord.js messages, DMs, reactions and pins against the emulator', () => {
  it('user.send opens a DM; the user answers through the control API and the bot gets messageCreate', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: INTENTS });
    const user = await bot.users.fetch(DEMO.users.member);
    const sent = await user.send('Welcome!');
    expect(sent.channel.isDMBased()).toBe(true);
    expect(sent.guildId).toBeNull();
    const dm = instance.control.openDm(DEMO.users.member);
    expect(dm.id).toBe(sent.channelId);
    expect(instance.control.messages(dm.id).map((m) => m.content)).toEqual(['Welcome!']);

    const received = nextEvent<[Message]>(bot, Events.MessageCreate, (m) => !m.author.bot);
    instance.control.sendMessage(dm.id, { authorId: DEMO.users.member, content: 'thanks' });
    const [reply] = await received;
    expect(reply.content).toBe('thanks');
    expect((reply.channel as DMChannel).recipientId).toBe(DEMO.users.member);
    await expect(sent.edit('Welcome, Nina!')).resolves.toMatchObject({ content: 'Welcome, Nina!' });
    expect(() => instance.control.sendMessage(dm.id, { authorId: DEMO.users.admin, content: 'x' })).toThrow(
      /recipient/,
    );
  });

  it('message.react, users reacting through the control API, reaction.users.fetch and removals', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: INTENTS });
    const message = await (await general(bot)).send('vote');
    const added = nextEvent<[MessageReaction | PartialMessageReaction, User | PartialUser]>(
      bot,
      Events.MessageReactionAdd,
      (_r, u) => u.id === DEMO.users.member,
    );
    await message.react('👍');
    instance.control.addReaction(DEMO.channels.general, message.id, {
      userId: DEMO.users.member,
      emoji: '👍',
    });
    const [reaction] = await added;
    expect(reaction.emoji.name).toBe('👍');
    expect(reaction.count).toBe(2);
    const users = await message.reactions.cache.get('👍')?.users.fetch();
    expect([...(users?.keys() ?? [])].sort()).toEqual([DEMO.users.member, DEMO.users.bot].sort());
    const fetched = await message.fetch(true);
    expect(fetched.reactions.cache.get('👍')?.me).toBe(true);

    const removed = nextEvent(bot, Events.MessageReactionRemove);
    await message.reactions.cache.get('👍')?.users.remove(DEMO.users.member);
    await removed;
    const emojiCleared = nextEvent(bot, Events.MessageReactionRemoveEmoji);
    await message.reactions.cache.get('👍')?.remove();
    await emojiCleared;
    await message.react('🎉');
    await message.reactions.cache.get('🎉')?.users.remove(DEMO.users.bot);
    await message.react('🎉');
    const cleared = nextEvent(bot, Events.MessageReactionRemoveAll);
    await message.reactions.removeAll();
    await cleared;
    expect(instance.state.reactions.where((r) => r.message_id === message.id)).toEqual([]);
  });

  it('message.pin / unpin, channel.messages.fetchPins and channelPinsUpdate', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: INTENTS });
    const channel = await general(bot);
    const message = await channel.send('rules');
    const pinsUpdate = nextEvent<[Channel, Date]>(bot, Events.ChannelPinsUpdate);
    await message.pin('important');
    const [pinnedChannel] = await pinsUpdate;
    expect(pinnedChannel.id).toBe(DEMO.channels.general);
    const pins = await channel.messages.fetchPins();
    expect(pins.items.map((pin) => pin.message.id)).toEqual([message.id]);
    expect(pins.items[0]?.message.pinned).toBe(true);
    expect([...(await channel.messages.fetchPinned()).keys()]).toEqual([message.id]); // deprecated GET /pins
    await message.unpin();
    expect((await channel.messages.fetchPins()).items).toEqual([]);
    const log = instance.state.auditLog.where((e) => e.action_type === 74);
    expect(log.map((e) => e.reason)).toEqual(['important']);
  });

  it('channel.bulkDelete removes several messages with one messageDeleteBulk', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: INTENTS });
    const channel = await general(bot);
    const a = await channel.send('one');
    const b = await channel.send('two');
    const bulk = nextEvent(bot, Events.MessageBulkDelete);
    const deleted = await channel.bulkDelete([a.id, b.id]);
    expect([...deleted.keys()].sort()).toEqual([a.id, b.id].sort());
    await bulk;
    expect(instance.control.messages(DEMO.channels.general).map((m) => m.id)).not.toContain(a.id);
  });

  it('message.crosspost in an announcement channel, and unknown sub-routes answer a plain 404', async () => {
    const instance = await emulator();
    const bot = await ready(instance, { intents: INTENTS });
    const guild = bot.guilds.cache.get(DEMO.guildId);
    const news = await guild?.channels.create({ name: 'news', type: ChannelType.GuildAnnouncement });
    if (news?.type !== ChannelType.GuildAnnouncement) throw new Error('announcement channel expected');
    const post = await news.send('launch');
    const crossposted = await post.crosspost();
    expect(crossposted.flags.has('Crossposted')).toBe(true);
    const res = await http(`${instance.apiUrl}/v10/channels/${DEMO.channels.general}/messages/pins/nope`, {
      headers: botAuth(instance),
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: '404: Not Found', code: 0 });
  });
});
