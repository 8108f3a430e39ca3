import { once } from 'node:events';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardForGuild } from '../src/discord/index.js';

/** Guild ids spread over every shard: timestamps 0..n-1 (the part above bit 22) plus a random low part. */
function guildIds(count: number): string[] {
  const base = 300_000_000_000n; // a timestamp in ms, so the ids have Discord's usual 18-19 digits
  return Array.from({ length: count }, (_, i) =>
    String(((base + BigInt(i)) << 22n) + BigInt(Math.floor(Math.random() * 4_194_304))),
  );
}

describe('shardForGuild', () => {
  it('is (guild_id >> 22) % shardCount', () => {
    expect(shardForGuild('81384788765712384', 1)).toBe(0);
    expect(shardForGuild('81384788765712384', 2)).toBe(0);
    expect(shardForGuild(String((5n << 22n) + 4_194_303n), 3)).toBe(2);
    expect(shardForGuild(String(7n << 22n), 4)).toBe(3);
    // The low 22 bits (worker, process, increment) never move a guild to another shard.
    expect(shardForGuild(String(4_194_303n), 2)).toBe(0);
    // The largest snowflakes still compute exactly (no float rounding).
    expect(shardForGuild('18446744073709551615', 1000)).toBe(Number((18446744073709551615n >> 22n) % 1000n));
  });

  it('refuses what is not a snowflake or not a shard count', () => {
    expect(() => shardForGuild('12a', 2)).toThrow(TypeError);
    expect(() => shardForGuild('', 2)).toThrow('guildId must be a Discord snowflake (1-20 digits), got ""');
    expect(() => shardForGuild(123 as unknown as string, 2)).toThrow(TypeError);
    expect(() => shardForGuild('123', 0)).toThrow('shardCount must be an integer of at least 1, got 0');
    expect(() => shardForGuild('123', 1.5)).toThrow(RangeError);
    expect(() => shardForGuild('123', Number.NaN)).toThrow(RangeError);
  });
});

describe('shardForGuild against discord.js shards on the emulator', () => {
  const SHARDS = 3;
  const ids = guildIds(9);
  let emulator: DiscordEmulator;
  const clients: Client<true>[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 'demo' });
    for (const [i, id] of ids.entries()) {
      emulator.control.createGuild({ id, name: `Guild ${i}`, ownerId: DEMO.users.owner });
    }
    for (let shard = 0; shard < SHARDS; shard++) {
      const client = new Client({
        intents: [GatewayIntentBits.Guilds],
        shards: shard,
        shardCount: SHARDS,
        rest: { api: emulator.apiUrl },
      });
      const ready = once(client, Events.ClientReady);
      await client.login(emulator.botToken);
      await ready;
      clients.push(client as Client<true>);
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.destroy()));
    await emulator?.stop();
  });

  it('names the shard whose discord.js client received the guild', () => {
    const all = [DEMO.guildId, ...ids];
    // The ids cover every shard, so a formula that always said 0 would fail here.
    expect(new Set(all.map((id) => shardForGuild(id, SHARDS)))).toEqual(new Set([0, 1, 2]));
    for (const id of all) {
      const holders = clients.flatMap((client, shard) => (client.guilds.cache.has(id) ? [shard] : []));
      expect(holders, `guild ${id}`).toEqual([shardForGuild(id, SHARDS)]);
    }
  });
});
