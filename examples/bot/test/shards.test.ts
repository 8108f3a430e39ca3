import { once } from 'node:events';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { MemoryBus, MemoryTransport, SyncClient } from '@wolaro/sync';
import { guildIdOnShard, waitFor } from '@wolaro/test-harness';
import { Client, Events, GatewayIntentBits, type Message } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventGuildId, ownGuildEvents, shardScopeOf } from '../src/shards.js';

const clients: Client[] = [];
function client(options: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client {
  const created = new Client({ intents: [GatewayIntentBits.Guilds], ...options });
  clients.push(created);
  return created;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.destroy()));
});

describe('shardScopeOf', () => {
  const on0 = guildIdOnShard(0, 3, 0);
  const on1 = guildIdOnShard(1, 3, 0);
  const on2 = guildIdOnShard(2, 3, 0);

  it('serves the guilds of the shards the client runs', () => {
    const scope = shardScopeOf(client({ shards: 1, shardCount: 3 }));
    expect(scope.shards).toEqual({ shards: [1], count: 3 });
    expect([on0, on1, on2].map((id) => scope.owns(id))).toEqual([false, true, false]);
    const two = shardScopeOf(client({ shards: [2, 0], shardCount: 3 }));
    expect(two.shards).toEqual({ shards: [0, 2], count: 3 });
    expect([on0, on1, on2].map((id) => two.owns(id))).toEqual([true, false, true]);
  });

  it('serves every guild when the client runs every shard, or decides at login (auto)', () => {
    for (const options of [
      {},
      { shards: 'auto' as const },
      { shards: [0, 1, 2], shardCount: 3 },
      { shardCount: 3 },
    ]) {
      const scope = shardScopeOf(client(options));
      expect(scope.shards, JSON.stringify(options)).toBeUndefined();
      expect([on0, on1, on2].every((id) => scope.owns(id))).toBe(true);
    }
  });
});

describe('ownGuildEvents', () => {
  it("passes the events of this process's guilds only, and every resync", async () => {
    const bus = new MemoryBus();
    const sync = new SyncClient({ transport: new MemoryTransport({ bus }) });
    const api = new SyncClient({ transport: new MemoryTransport({ bus }) });
    await Promise.all([sync.connect(), api.connect()]);
    const mine = guildIdOnShard(0, 2, 0);
    const theirs = guildIdOnShard(1, 2, 0);
    const source = ownGuildEvents(sync, shardScopeOf(client({ shards: 0, shardCount: 2 })));
    const seen: string[] = [];
    const offs = [
      source.subscribe('config:update', (e) => seen.push(`config ${e.guildId}`)),
      source.subscribe('guild:reload', (e) => seen.push(`reload ${e.guildId}`)),
    ];
    let resyncs = 0;
    const onResync = () => resyncs++;
    source.on('resync', onResync);
    await api.publish('config:update', { guildId: theirs, settings: {}, version: 2 });
    await api.publish('guild:reload', { guildId: theirs });
    await api.publish('config:update', { guildId: mine, settings: {}, version: 2 });
    await api.publish('guild:reload', { guildId: mine }); // the sentinel: everything before it was handled
    await waitFor(() => seen.includes(`reload ${mine}`));
    expect(seen).toEqual([`config ${mine}`, `reload ${mine}`]);
    sync.emit('resync', { transport: 'redis', downtimeMs: 1 });
    expect(resyncs).toBe(1);
    source.off('resync', onResync);
    for (const off of offs) off();
    await Promise.all([sync.close(), api.close()]);
  });

  it('is the bus itself when the process serves every guild', () => {
    const sync = new SyncClient({ transport: 'memory' });
    expect(ownGuildEvents(sync, shardScopeOf(client()))).toBe(sync);
  });
});

describe('eventGuildId on real discord.js structures', () => {
  let emulator: DiscordEmulator;
  let bot: Client<true>;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 'demo' });
    bot = client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMembers,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
      ],
      rest: { api: emulator.apiUrl },
    }) as Client<true>;
    const ready = once(bot, Events.ClientReady);
    await bot.login(emulator.botToken);
    await ready;
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('finds the guild of a guild, a member, a role and a message; none for the client or an error', async () => {
    const guild = bot.guilds.cache.get(DEMO.guildId)!;
    const received = once(bot, Events.MessageCreate) as Promise<[Message]>;
    emulator.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: 'hi' });
    const [message] = await received;
    expect(eventGuildId([guild])).toBe(DEMO.guildId);
    expect(eventGuildId([guild.members.cache.get(DEMO.users.member)])).toBe(DEMO.guildId);
    expect(eventGuildId([guild.roles.cache.get(DEMO.roles.admin)])).toBe(DEMO.guildId);
    expect(eventGuildId([message])).toBe(DEMO.guildId);
    expect(eventGuildId([bot])).toBeUndefined();
    expect(eventGuildId([new Error('x')])).toBeUndefined();
    expect(eventGuildId([])).toBeUndefined();
  });
});
