import type { Client, Guild, Message } from 'discord.js';
import { Events } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO, type DiscordEmulator, startEmulator } from '../src/index.js';
import { emulator, nextEvent, ready, until } from './helpers.js';

/** A guild id on `shard` of `count`: its timestamp part (above bit 22) is ≡ shard (mod count). */
function idOnShard(shard: number, count: number, n: number): string {
  const timestamp = 300_000_000_000n + BigInt(n * count + shard);
  return String((timestamp << 22n) + 12_345n);
}

const shardOf = (guildId: string, count: number) => Number((BigInt(guildId) >> 22n) % BigInt(count));

/** Creates a guild (with a #general) that the bot is in; returns its id and #general's id. */
function guild(instance: DiscordEmulator, id: string): { guildId: string; channelId: string } {
  const view = instance.control.createGuild({
    id,
    name: `Guild ${id.slice(-6)}`,
    ownerId: DEMO.users.owner,
    channels: [{ name: 'general' }],
    members: [{ userId: DEMO.users.member }],
  });
  return { guildId: view.id, channelId: view.channels.find((c) => c.name === 'general')!.id };
}

/** Every message content a client receives. */
function contents(client: Client): string[] {
  const seen: string[] = [];
  client.on(Events.MessageCreate, (message: Message) => seen.push(message.content));
  return seen;
}

describe('gateway sharding with discord.js clients', () => {
  it('gives each shard its own guilds: READY, GUILD_CREATE and every guild event', async () => {
    const instance = await emulator();
    expect(shardOf(DEMO.guildId, 2)).toBe(0);
    const a = guild(instance, idOnShard(0, 2, 1));
    const b = guild(instance, idOnShard(1, 2, 1));
    const shard0 = await ready(instance, { shards: 0, shardCount: 2 });
    const shard1 = await ready(instance, { shards: 1, shardCount: 2 });
    expect([...shard0.guilds.cache.keys()].sort()).toEqual([DEMO.guildId, a.guildId].sort());
    expect([...shard1.guilds.cache.keys()]).toEqual([b.guildId]);
    expect(instance.control.sessions().map((s) => s.shard)).toEqual([
      [0, 2],
      [1, 2],
    ]);

    // A guild created after READY: GUILD_CREATE to its shard only.
    const created1 = nextEvent<[Guild]>(shard1, Events.GuildCreate);
    const c = guild(instance, idOnShard(1, 2, 2));
    expect((await created1)[0].id).toBe(c.guildId);
    const created0 = nextEvent<[Guild]>(shard0, Events.GuildCreate);
    const d = guild(instance, idOnShard(0, 2, 2));
    expect((await created0)[0].id).toBe(d.guildId);
    expect(shard0.guilds.cache.has(c.guildId)).toBe(false);
    expect(shard1.guilds.cache.has(d.guildId)).toBe(false);

    // Messages: each shard sees those of its guilds. The last message of each shard is the sentinel:
    // once it arrived, anything routed to the wrong shard (sent before it) would have arrived too.
    const seen0 = contents(shard0);
    const seen1 = contents(shard1);
    instance.control.sendMessage(b.channelId, { authorId: DEMO.users.member, content: 'in b' });
    instance.control.sendMessage(a.channelId, { authorId: DEMO.users.member, content: 'in a' });
    instance.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: 'in demo' });
    instance.control.sendMessage(c.channelId, { authorId: DEMO.users.member, content: 'in c' });
    await until(() => seen0.includes('in demo') && seen1.includes('in c'));
    expect(seen0).toEqual(['in a', 'in demo']);
    expect(seen1).toEqual(['in b', 'in c']);
  });

  it("runs every recommended shard in one client with shards: 'auto'", async () => {
    const instance = await emulator({ recommendedShards: 2 });
    const b = guild(instance, idOnShard(1, 2, 3));
    const client = await ready(instance, { shards: 'auto' });
    expect(client.options.shardCount).toBe(2);
    expect([...client.ws.shards.keys()].sort()).toEqual([0, 1]);
    expect([...client.guilds.cache.keys()].sort()).toEqual([DEMO.guildId, b.guildId].sort());
    expect(client.guilds.cache.get(b.guildId)?.shardId).toBe(1);
    expect(client.guilds.cache.get(DEMO.guildId)?.shardId).toBe(0);
    const shards = instance.control.sessions().map((s) => s.shard);
    expect(shards.sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
  });
});

describe('GET /gateway/bot', () => {
  const shardsOf = async (instance: DiscordEmulator): Promise<unknown> => {
    const res = await fetch(`${instance.apiUrl}/v10/gateway/bot`, {
      headers: { authorization: `Bot ${instance.botToken}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { shards: unknown }).shards;
  };

  it('recommends one shard per 1,000 guilds of the bot, like Discord, or the configured number', async () => {
    const instance = await emulator();
    expect(await shardsOf(instance)).toBe(1);
    // 999 more guilds with the bot (1,000 in all) still fit one shard; one more needs a second.
    for (let n = 0; n < 999; n++) {
      instance.control.createGuild({ name: `Bulk ${n}`, ownerId: DEMO.users.owner });
    }
    instance.control.createGuild({ name: 'Without the bot', ownerId: DEMO.users.owner, includeBot: false });
    expect(await shardsOf(instance)).toBe(1);
    instance.control.createGuild({ name: 'One too many', ownerId: DEMO.users.owner });
    expect(await shardsOf(instance)).toBe(2);

    expect(await shardsOf(await emulator({ recommendedShards: 4 }))).toBe(4);
    await expect(startEmulator({ port: 0, recommendedShards: 0 })).rejects.toThrow(
      'recommendedShards must be an integer of at least 1, got 0',
    );
  });
});
