import { Events, type GuildMember, type Message } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO, GatewayIntents, GatewayOpcodes } from '../src/index.js';
import { emulator, http, identify, nextEvent, type Payload, rawGateway, ready, until } from './helpers.js';

const GUILDS_AND_MESSAGES =
  GatewayIntents.Guilds | GatewayIntents.GuildMessages | GatewayIntents.MessageContent;

describe('gateway sessions', () => {
  it('discord.js resumes after a forced close and receives the events dispatched meanwhile', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    const sessionId = instance.control.sessions()[0]?.sessionId;
    const messages: string[] = [];
    bot.on(Events.MessageCreate, (m: Message) => {
      messages.push(m.content);
    });
    const memberUpdate = nextEvent<[GuildMember, GuildMember]>(bot, Events.GuildMemberUpdate);
    const resumed = nextEvent<[number, number]>(bot, Events.ShardResume);

    const res = await http(`${instance.url}/_emulator/gateway/disconnect`, { method: 'POST', body: {} });
    expect(res.body).toEqual({ closed: 1 });
    // Sent while the bot is disconnected: buffered in the session, replayed on RESUME.
    instance.control.sendMessage(DEMO.channels.general, {
      authorId: DEMO.users.member,
      content: 'while away 1',
    });
    instance.control.sendMessage(DEMO.channels.general, {
      authorId: DEMO.users.admin,
      content: 'while away 2',
    });
    instance.control.updateMember(DEMO.guildId, DEMO.users.moderator, { roles: [] });
    expect(instance.control.sessions()[0]).toMatchObject({ sessionId, connected: false, resumable: true });

    const [shardId, replayed] = await resumed;
    expect(shardId).toBe(0);
    expect(replayed).toBe(4); // 3 missed dispatches + RESUMED itself, which carries a sequence number too
    const [oldMember, newMember] = await memberUpdate;
    expect(oldMember.roles.cache.has(DEMO.roles.moderator)).toBe(true);
    expect(newMember.roles.cache.has(DEMO.roles.moderator)).toBe(false);
    await until(() => messages.length === 2);
    expect(messages).toEqual(['while away 1', 'while away 2']);
    expect(instance.control.sessions()).toEqual([expect.objectContaining({ sessionId, connected: true })]);

    // And it keeps working afterwards.
    const after = nextEvent<[Message]>(bot, Events.MessageCreate);
    instance.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: 'back' });
    expect((await after)[0].content).toBe('back');
  });

  it('ends the session when discord.js is destroyed (close 1000)', async () => {
    const instance = await emulator();
    const bot = await ready(instance);
    expect(instance.control.sessions()).toHaveLength(1);
    await bot.destroy();
    await until(() => instance.control.sessions().length === 0);
    expect(instance.control.state().connectedBots).toEqual([]);
  });

  it('sends HELLO with the configured interval and ACKs heartbeats', async () => {
    const instance = await emulator({ heartbeatIntervalMs: 1234 });
    const gateway = await rawGateway(instance);
    expect(gateway.received[0]).toEqual({ op: 10, d: { heartbeat_interval: 1234 }, s: null, t: null });
    gateway.send(GatewayOpcodes.Heartbeat, null);
    expect(await gateway.next((p) => p.op === GatewayOpcodes.HeartbeatAck)).toMatchObject({ op: 11 });
  });

  it('closes with 4009 when heartbeats stop, and the session can no longer be resumed', async () => {
    const instance = await emulator({ heartbeatIntervalMs: 200 }); // closed after 300 ms without a heartbeat
    const gateway = await rawGateway(instance);
    gateway.send(GatewayOpcodes.Identify, identify(instance.botToken, GUILDS_AND_MESSAGES));
    const readyPayload = await gateway.dispatch('READY');
    const { code } = await gateway.closed;
    expect(code).toBe(4009);
    const second = await rawGateway(instance);
    const sessionId = (readyPayload.d as { session_id: string }).session_id;
    second.send(GatewayOpcodes.Heartbeat, 1);
    second.send(GatewayOpcodes.Resume, { token: instance.botToken, session_id: sessionId, seq: 1 });
    expect(await second.next((p) => p.op === GatewayOpcodes.InvalidSession)).toMatchObject({ d: false });
  });

  it('replays missed dispatches with their sequence numbers on a raw RESUME, then sends RESUMED', async () => {
    const instance = await emulator();
    const first = await rawGateway(instance);
    first.send(GatewayOpcodes.Identify, identify(instance.botToken, GUILDS_AND_MESSAGES));
    const readyPayload = await first.dispatch('READY');
    expect(readyPayload.s).toBe(1);
    const readyData = readyPayload.d as Record<string, unknown>;
    expect(readyData).toMatchObject({
      v: 10,
      user: { id: DEMO.users.bot, bot: true },
      guilds: [{ id: DEMO.guildId, unavailable: true }],
      application: { id: DEMO.applicationId, flags: 0 },
      resume_gateway_url: instance.gatewayUrl,
    });
    const guildCreate = await first.dispatch('GUILD_CREATE');
    expect(guildCreate.s).toBe(2);
    expect(guildCreate.d).toMatchObject({ id: DEMO.guildId, unavailable: false, member_count: 6 });

    instance.control.disconnectGateway();
    expect((await first.closed).code).toBe(4000);
    instance.control.sendMessage(DEMO.channels.welcome, { authorId: DEMO.users.member, content: 'missed' });

    const second = await rawGateway(instance);
    second.send(GatewayOpcodes.Resume, {
      token: instance.botToken,
      session_id: readyData['session_id'],
      seq: 2,
    });
    const resumedPayload = await second.dispatch('RESUMED');
    const dispatches = second.received.filter((p): p is Payload => p.op === 0);
    expect(dispatches.map((p) => [p.s, p.t])).toEqual([
      [3, 'MESSAGE_CREATE'],
      [4, 'RESUMED'],
    ]);
    expect(dispatches[0]?.d).toMatchObject({ content: 'missed', channel_id: DEMO.channels.welcome });
    expect(resumedPayload.s).toBe(4);
  });

  it('answers RESUME of an unknown session with INVALID_SESSION (d: false)', async () => {
    const instance = await emulator();
    const gateway = await rawGateway(instance);
    gateway.send(GatewayOpcodes.Resume, { token: instance.botToken, session_id: 'nope', seq: 3 });
    expect(await gateway.next((p) => p.op === GatewayOpcodes.InvalidSession)).toEqual({
      op: 9,
      d: false,
      s: null,
      t: null,
    });
  });

  it('invalidates sessions on reset so bots re-identify', async () => {
    const instance = await emulator();
    const gateway = await rawGateway(instance);
    gateway.send(GatewayOpcodes.Identify, identify(instance.botToken, GatewayIntents.Guilds));
    const readyPayload = await gateway.dispatch('READY');
    const res = await http(`${instance.url}/_emulator/reset`, { method: 'POST', body: {} });
    expect(res.status).toBe(204);
    expect((await gateway.closed).code).toBe(4000);
    const again = await rawGateway(instance);
    again.send(GatewayOpcodes.Resume, {
      token: instance.botToken,
      session_id: (readyPayload.d as { session_id: string }).session_id,
      seq: 2,
    });
    expect(await again.next((p) => p.op === GatewayOpcodes.InvalidSession)).toMatchObject({ d: false });
  });

  it('answers REQUEST_GUILD_MEMBERS with GUILD_MEMBERS_CHUNK', async () => {
    const instance = await emulator();
    const gateway = await rawGateway(instance);
    gateway.send(
      GatewayOpcodes.Identify,
      identify(instance.botToken, GatewayIntents.Guilds | GatewayIntents.GuildMembers),
    );
    await gateway.dispatch('READY');
    gateway.send(GatewayOpcodes.RequestGuildMembers, {
      guild_id: DEMO.guildId,
      query: 'ali',
      limit: 10,
      nonce: 'n1',
    });
    const chunk = await gateway.dispatch('GUILD_MEMBERS_CHUNK');
    expect(chunk.d).toMatchObject({
      guild_id: DEMO.guildId,
      chunk_index: 0,
      chunk_count: 1,
      nonce: 'n1',
      members: [{ user: { id: DEMO.users.admin, username: 'alice_admin' } }],
    });
  });

  it('only sends a shard the guilds that belong to it', async () => {
    const instance = await emulator();
    const shardOfDemo = Number((BigInt(DEMO.guildId) >> 22n) % 2n);
    const other = await rawGateway(instance);
    other.send(
      GatewayOpcodes.Identify,
      identify(instance.botToken, GatewayIntents.Guilds, { shard: [1 - shardOfDemo, 2] }),
    );
    expect((await other.dispatch('READY')).d).toMatchObject({ guilds: [], shard: [1 - shardOfDemo, 2] });
    const own = await rawGateway(instance);
    own.send(
      GatewayOpcodes.Identify,
      identify(instance.botToken, GatewayIntents.Guilds, { shard: [shardOfDemo, 2] }),
    );
    expect((await own.dispatch('READY')).d).toMatchObject({ guilds: [{ id: DEMO.guildId }] });
    const invalid = await rawGateway(instance);
    invalid.send(
      GatewayOpcodes.Identify,
      identify(instance.botToken, GatewayIntents.Guilds, { shard: [2, 2] }),
    );
    expect((await invalid.closed).code).toBe(4010);
  });
});
