import { createServer } from 'node:http';
import { defineChannels, MemoryBus, MemoryTransport, SyncClient, snowflake } from '@wolaro/sync';
import {
  captureLogger,
  redisUrl,
  sleep,
  startRedisServer,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attachSync, HandshakeError, jwtVerifier, rooms } from '../src/index.js';
import {
  Acl,
  cleanup,
  collect,
  connect,
  mintToken,
  refusal,
  SECRET,
  startNode,
  startPublisher,
} from './helpers.js';

afterEach(cleanup);

const ALICE = '300000000000000001';
const BOB = '300000000000000002';
const G1 = '400000000000000001';
const G2 = '400000000000000002';

describe('forwarding', () => {
  it('forwards each channel to its guild room under the Socket.io event name', async () => {
    const keyPrefix = uniquePrefix('fwd');
    const acl = new Acl().allow(ALICE, G1, G2).allow(BOB, G2);
    const { url } = await startNode({ keyPrefix, acl });
    const alice = await connect(url, await mintToken({ sub: ALICE }));
    const bob = await connect(url, await mintToken({ sub: BOB }));
    const got = {
      config: collect(alice, 'config:updated'),
      module: collect(alice, 'module:toggled'),
      reload: collect(alice, 'guild:reload'),
      command: collect(alice, 'command:executed'),
      revoked: collect(alice, 'permission:revoked'),
    };
    const bobConfig = collect(bob, 'config:updated');
    const bobRevoked = collect(bob, 'permission:revoked');
    const pub = await startPublisher(keyPrefix);

    const sent = await pub.publishConfigUpdate(G1, { prefix: '!' }, 7);
    await pub.publishModuleToggle(G1, 'moderation', false, 8, { level: 2 });
    await pub.publishGuildReload(G1, 'manual sync');
    await pub.publishCommandExecuted(G1, 'ban', BOB, 'success', 'theo7791l');
    // A revocation concerning Bob on G2 reaches Bob only, never the rest of the room.
    await pub.publishPermissionRevoked(G2, BOB, 'Administrator role removed');
    await pub.publishConfigUpdate(G2, { prefix: '?' }, 9);

    await waitFor(() => got.config.length === 2 && got.command.length === 1 && bobRevoked.length === 1);
    expect(got.config[0]).toEqual({
      eventId: sent.eventId,
      guildId: G1,
      settings: { prefix: '!' },
      version: 7,
      timestamp: sent.timestamp,
    });
    expect(got.config[0]).not.toHaveProperty('origin'); // server host:pid stays on the server
    expect(got.module[0]).toMatchObject({
      guildId: G1,
      module: 'moderation',
      enabled: false,
      config: { level: 2 },
      version: 8,
    });
    expect(got.reload[0]).toMatchObject({ guildId: G1, reason: 'manual sync' });
    expect(got.command[0]).toMatchObject({
      guildId: G1,
      command: 'ban',
      executorId: BOB,
      executor: 'theo7791l',
      result: 'success',
    });
    expect(got.config[1]).toMatchObject({ guildId: G2, version: 9 });
    expect(got.revoked).toEqual([]);
    expect(bobRevoked[0]).toMatchObject({ guildId: G2, userId: BOB, reason: 'Administrator role removed' });
    // Bob left G2 and is in no other guild, so he got none of the config updates.
    expect(bobConfig).toEqual([]);
  });

  it('forwards custom channels that carry a guildId, and says which it cannot forward', async () => {
    const channels = defineChannels({
      'ticket:created': {
        schema: z.object({ guildId: snowflake, ticketId: z.string() }),
        socketEvent: 'ticket:created',
      },
      'bot:status': { schema: z.object({ online: z.boolean() }) },
      'evil:event': { schema: z.object({ guildId: snowflake }), socketEvent: 'disconnect' },
    });
    const keyPrefix = uniquePrefix('custom');
    const logger = captureLogger();
    const { url } = await startNode({ keyPrefix, channels, logger, acl: new Acl().allow(ALICE, G1) });
    expect(
      logger.has('Not forwarding evil:event: "disconnect" is a reserved Socket.io event name', 'warn'),
    ).toBe(true);
    const alice = await connect(url, await mintToken({ sub: ALICE }));
    const tickets: unknown[] = [];
    (alice as unknown as { on(e: string, l: (p: unknown) => void): void }).on('ticket:created', (p) =>
      tickets.push(p),
    );
    const disconnects: string[] = [];
    alice.on('disconnect', (r) => disconnects.push(r));
    const pub = new SyncClient({ redis: redisUrl(), keyPrefix, channels, listen: false });
    await pub.connect();
    try {
      await pub.publish('bot:status', { online: true });
      await pub.publish('evil:event', { guildId: G1 });
      await pub.publish('ticket:created', { guildId: G1, ticketId: 't-1' });
      await waitFor(() => tickets.length === 1);
      expect(tickets[0]).toMatchObject({ guildId: G1, ticketId: 't-1' });
      expect(logger.has('Not forwarding bot:status: its payload has no guildId', 'warn')).toBe(true);
      expect(disconnects).toEqual([]);
      expect(alice.connected).toBe(true);
    } finally {
      await pub.close();
    }
  });

  it('reports the note’s websocket stats for this node', async () => {
    const acl = new Acl().allow(ALICE, G1, G2).allow(BOB, G2);
    const { url, gateway } = await startNode({ keyPrefix: uniquePrefix('stats'), acl });
    const none = { eventsSent: 0, eventsUnwatched: 0 };
    expect(gateway.stats()).toEqual({ connectedUsers: 0, totalConnections: 0, rooms: 0, ...none });
    const a1 = await connect(url, await mintToken({ sub: ALICE, sid: 'sess-a1' }));
    await connect(url, await mintToken({ sub: ALICE, sid: 'sess-a2' }));
    await connect(url, await mintToken({ sub: BOB }));
    expect(gateway.stats()).toEqual({ connectedUsers: 2, totalConnections: 3, rooms: 2, ...none });
    a1.disconnect();
    await waitFor(() => gateway.stats().totalConnections === 2);
    expect(gateway.stats()).toEqual({ connectedUsers: 2, totalConnections: 2, rooms: 2, ...none });
  });

  it('drops an event of a guild no socket on this node has open, before any Socket.io work', async () => {
    const keyPrefix = uniquePrefix('unwatched');
    const { url, gateway, io } = await startNode({ keyPrefix, acl: new Acl().allow(ALICE, G1) });
    const broadcastRooms: string[] = [];
    const adapter = io.of('/').adapter;
    const broadcast = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet, opts) => {
      broadcastRooms.push(...opts.rooms);
      broadcast(packet, opts);
    };
    const alice = await connect(url, await mintToken({ sub: ALICE }));
    const commands = collect(alice, 'command:executed');
    const pub = await startPublisher(keyPrefix);
    for (let i = 0; i < 5; i++) await pub.publishCommandExecuted(G2, 'ban', BOB, 'success', 'someone');
    // The sentinel: an event of the watched guild, published after the others on the same channel.
    await pub.publishCommandExecuted(G1, 'ping', ALICE, 'success', 'alice');
    await waitFor(() => commands.length === 1);
    expect(commands[0]).toMatchObject({ guildId: G1, command: 'ping' });
    expect(gateway.stats()).toMatchObject({ eventsSent: 1, eventsUnwatched: 5 });
    expect(broadcastRooms).toEqual([rooms.guild(G1)]);
  });

  it('puts sockets in user:, session: and authorized guild: rooms before the client sees connect', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const { url, io } = await startNode({ keyPrefix: uniquePrefix('rooms'), acl });
    const client = await connect(url, await mintToken({ sub: ALICE, sid: 'sess_1' }));
    const server = io.of('/').sockets.get(client.id!);
    expect(server && [...server.rooms].sort()).toEqual(
      [client.id, rooms.guild(G1), rooms.session('sess_1'), rooms.user(ALICE)].sort(),
    );
    expect(server?.data).toMatchObject({ userId: ALICE, sessionId: 'sess_1' });
  });
});

describe('robustness', () => {
  it('validates options at attach with one clear error', () => {
    const io = new Server();
    const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
    expect(() => attachSync(io, {} as never)).toThrow(/sync: must be a SyncClient.*verifyToken.*authorize/);
    expect(() =>
      attachSync(io, {
        sync,
        verifyToken: jwtVerifier({ secret: SECRET }),
        authorize: () => true,
        allowedOrigins: ['wolaro.fr'],
        rateLimit: { perSecond: 0, burst: 1 },
      }),
    ).toThrow(/allowedOrigins.*not an origin.*rateLimit/);
    expect(() => attachSync({} as never, { sync } as never)).toThrow(/Server or Namespace/);
    expect(() => jwtVerifier({ secret: 'short' })).toThrow(/at least 32 bytes/);
    expect(() => jwtVerifier({})).toThrow(/exactly one of/);
    expect(() => jwtVerifier({ secret: SECRET, algorithms: ['none'] })).toThrow(/none/);
  });

  it('survives failing and hanging authorize / listGuilds (log and refuse)', async () => {
    const logger = captureLogger();
    let mode: 'throw' | 'reject' | 'hang' | 'ok' = 'throw';
    const { url, keyPrefix } = await startNode({
      keyPrefix: uniquePrefix('fail'),
      logger,
      gateway: {
        callbackTimeoutMs: 200,
        listGuilds: () => {
          if (mode === 'throw') throw new Error('db down');
          if (mode === 'hang') return new Promise(() => {});
          return [G1];
        },
        authorize: (_u, g) => {
          if (mode === 'throw') throw new Error('db down');
          if (mode === 'reject') return Promise.reject(new Error('db down'));
          if (mode === 'hang') return new Promise<boolean>(() => {});
          return g === G1;
        },
      },
    });
    const token = await mintToken({ sub: ALICE });
    const pub = await startPublisher(keyPrefix);

    // listGuilds throws: the socket connects with no guild room and can still join later.
    const a = await connect(url, token);
    expect(logger.has('listGuilds failed', 'error')).toBe(true);
    expect(await a.emitWithAck('join:guild', G1)).toEqual({ ok: false, error: 'forbidden' });
    mode = 'reject';
    expect(await a.emitWithAck('join:guild', G1)).toEqual({ ok: false, error: 'forbidden' });
    expect(logger.has('authorize failed', 'warn')).toBe(true);
    mode = 'hang';
    const b = await connect(url, token); // listGuilds hangs: the handshake still ends
    expect(await b.emitWithAck('join:guild', G1)).toEqual({ ok: false, error: 'forbidden' });
    expect(logger.has(/timed out after 200 ms/)).toBe(true);

    mode = 'ok';
    expect(await a.emitWithAck('join:guild', G1)).toEqual({ ok: true });
    const reloads = collect(a, 'guild:reload');
    await pub.publishGuildReload(G1);
    await waitFor(() => reloads.length === 1);
  });

  it('maps a custom verifier’s verdicts and refuses identities it cannot use', async () => {
    const verdicts: Record<string, () => unknown> = {
      expired: () => Promise.reject(new HandshakeError('token_expired')),
      crash: () => {
        throw new Error('secret store unreachable');
      },
      badUser: () => Promise.resolve({ userId: 'guild:1' }),
      badSession: () => Promise.resolve({ userId: ALICE, sessionId: 'a b' }),
      pastExpiry: () => Promise.resolve({ userId: ALICE, expiresAt: Date.now() - 1 }),
      nothing: () => Promise.resolve(undefined),
      fine: () => Promise.resolve({ userId: ALICE }),
    };
    const logger = captureLogger();
    const { url } = await startNode({
      keyPrefix: uniquePrefix('verify'),
      logger,
      gateway: { verifyToken: (token) => verdicts[token]!() as never },
    });
    expect((await refusal(url, 'expired')).message).toBe('token_expired');
    expect((await refusal(url, 'crash')).message).toBe('unauthorized');
    expect(logger.has('verifyToken failed: secret store unreachable', 'warn')).toBe(true);
    expect((await refusal(url, 'badUser')).message).toBe('unauthorized');
    expect((await refusal(url, 'badSession')).message).toBe('unauthorized');
    expect((await refusal(url, 'pastExpiry')).message).toBe('token_expired');
    expect((await refusal(url, 'nothing')).message).toBe('unauthorized');
    await expect(connect(url, 'fine')).resolves.toMatchObject({ connected: true });
  });

  it('close() disconnects its sockets, refuses new ones (unavailable) and is idempotent', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const keyPrefix = uniquePrefix('close');
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    const sync = new SyncClient({
      redis: (await import('@wolaro/test-harness')).redisUrl(),
      keyPrefix,
    });
    await sync.connect();
    const gateway = attachSync(io, {
      sync,
      verifyToken: jwtVerifier({ secret: SECRET }),
      authorize: acl.authorize,
      listGuilds: acl.listGuilds,
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      const client = await connect(url, await mintToken({ sub: ALICE }));
      const disconnected = new Promise<string>((r) => client.once('disconnect', r));
      await gateway.close();
      expect(await disconnected).toBe('io server disconnect');
      expect((await refusal(url, await mintToken({ sub: ALICE }))).message).toBe('unavailable');
      expect(gateway.stats()).toMatchObject({ connectedUsers: 0, totalConnections: 0, rooms: 0 });
      await gateway.close(); // idempotent
    } finally {
      await io.close();
      await sync.close();
    }
  });

  it('never forwards a guild event published before the socket joined, and keeps order', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const keyPrefix = uniquePrefix('order');
    const node = await startNode({ keyPrefix, acl });
    const { url } = node;
    const reachedNode: number[] = [];
    node.sync.subscribe('config:update', (e) => {
      reachedNode.push(e.version ?? -1);
    });
    const pub = await startPublisher(keyPrefix);
    await pub.publishConfigUpdate(G1, { n: -1 }, 1);
    // The node has handled the early event before the socket connects.
    await waitFor(() => reachedNode.includes(1), { message: 'the early event at the node' });
    const a = await connect(url, await mintToken({ sub: ALICE }));
    const got = collect(a, 'config:updated');
    for (let i = 0; i < 50; i++) await pub.publishConfigUpdate(G1, { n: i }, i + 2);
    await waitFor(() => got.length === 50);
    expect(got.map((e) => e.settings['n'])).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('after a Redis outage, tells every panel on the node to reload its guilds', async () => {
    const redis = await startRedisServer();
    try {
      const acl = new Acl().allow(ALICE, G1, G2).allow(BOB, G2);
      const { url } = await startNode({ keyPrefix: uniquePrefix('resync'), redis: redis.url, acl });
      const alice = await connect(url, await mintToken({ sub: ALICE }));
      const bob = await connect(url, await mintToken({ sub: BOB }));
      const aliceReloads = collect(alice, 'guild:reload');
      const bobReloads = collect(bob, 'guild:reload');
      await redis.kill();
      await sleep(200);
      await redis.restart();
      await waitFor(() => aliceReloads.length === 2 && bobReloads.length === 1, { timeoutMs: 10_000 });
      expect(aliceReloads.map((e) => e.guildId).sort()).toEqual([G1, G2]);
      expect(bobReloads[0]).toMatchObject({ guildId: G2, reason: 'resync' });
      expect(alice.connected && bob.connected).toBe(true);
    } finally {
      await cleanup();
      await redis.stop();
    }
  });
});
