import { Events, type Guild, type TextChannel } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../src/index.js';
import { emulator, nextEvent, ready } from './helpers.js';

describe('discord.js calls on the routes served before the conformance work', () => {
  it('guild, channel, role, member and user fetches, search, typing, nickname, kick and leave', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const guild = bot.guilds.cache.get(DEMO.guildId) as Guild;
    const fetched = await bot.guilds.fetch({ guild: DEMO.guildId, force: true, withCounts: true });
    expect(fetched.approximateMemberCount).toBe(6);
    expect((await guild.channels.fetch()).has(DEMO.channels.general)).toBe(true);
    expect((await guild.roles.fetch()).has(DEMO.roles.admin)).toBe(true);
    expect((await guild.roles.fetch(DEMO.roles.moderator, { force: true }))?.name).toBe('Moderator');
    expect((await bot.users.fetch(DEMO.users.owner, { force: true })).username).toBe('theo7791l');
    expect([...(await guild.members.search({ query: 'nina' })).keys()]).toEqual([DEMO.users.member]);
    const general = (await bot.channels.fetch(DEMO.channels.general)) as TextChannel;
    await general.sendTyping();
    const message = await general.send('fetch me');
    expect((await general.messages.fetch({ message: message.id, force: true })).content).toBe('fetch me');
    await guild.members.me?.setNickname('Wolaro Bot');
    expect(instance.state.member(DEMO.guildId, DEMO.users.bot)?.nick).toBe('Wolaro Bot');
    await guild.members.edit(DEMO.users.member, { nick: 'Nina' });
    const removed = nextEvent(bot, Events.GuildMemberRemove);
    await guild.members.kick(DEMO.users.member, 'bye');
    await removed;
    const left = nextEvent<[Guild]>(bot, Events.GuildDelete);
    await guild.leave();
    expect((await left)[0].id).toBe(DEMO.guildId);
  });

  it('application and guild commands: create, fetch by id, edit, delete', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const guild = bot.guilds.cache.get(DEMO.guildId) as Guild;
    for (const manager of [bot.application.commands, guild.commands]) {
      const created = await manager.create({ name: 'ping', description: 'Ping' });
      expect((await manager.fetch(created.id, { force: true })).name).toBe('ping');
      const edited = await manager.edit(created.id, { description: 'Pong' });
      expect(edited.description).toBe('Pong');
      await manager.delete(created.id);
      expect((await manager.fetch({ force: true })).size).toBe(0);
    }
    const context = await guild.commands.set([{ type: 2, name: 'User info' }]);
    expect(context.first()?.name).toBe('User info');
  });
});
