// Gateway (attach.ts, second half): what a connection sets up (rooms, socket.data, expiry timer,
// log line), join:guild / leave:guild acks and their failures, disconnect bookkeeping, stats(),
// close(), revokeSession / disconnectUser and attachSync's `io` check.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, MemoryBus, MemoryTransport, SyncClient } from '@wolaro/sync';
import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Server } from 'socket.io';
import { Manager, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachSync, type GuildAck, jwtVerifier, rooms, type TokenVerifier } from '../src/index.js';
import {
  Acl,
  type ClientSocket,
  cleanup,
  connect,
  type GatewayServer,
  SECRET,
  startNode,
} from './helpers.js';

const mine: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of mine.splice(0).reverse()) await fn();
  await cleanup();
});

const ALICE = '310000000000000001';
const BOB = '310000000000000002';
const G1 = '410000000000000001';
const G2 = '410000000000000002';
const SIDE = '/side';
const FAR_EXPIRY = Date.now() + 3_600_000;

/** A verifier whose tokens name the identity to return. */
const identities: Record<string, object> = {
  plain: { userId: ALICE },
  full: { userId: BOB, sessionId: 'sess-b', expiresAt: FAR_EXPIRY },
  bob: { userId: BOB },
};
const verifyToken = ((token: string) => identities[token]) as unknown as TokenVerifier;

/**
 * One client connection carrying two namespaces: `side` (no gateway there) is connected first,
 * `main` (the gateway's) is created but not connected, so listeners can go on before it connects.
 * A server disconnect that closes the underlying connection takes `side` down too.
 */
async function multiplexed(
  io: GatewayServer,
  url: string,
  token: string,
): Promise<{ main: ClientSocket; side: Socket }> {
  io.of(SIDE);
  const manager = new Manager(url, {
    transports: ['websocket'],
    reconnection: false,
    autoConnect: false,
    timeout: 5000,
  });
  const side = manager.socket(SIDE);
  const main = manager.socket('/', { auth: { token } }) as ClientSocket;
  mine.push(() => {
    main.disconnect();
    side.disconnect();
  });
  side.connect();
  await new Promise<void>((resolve, reject) => {
    side.once('connect', resolve);
    side.once('connect_error', reject);
  });
  return { main, side };
}

/** A client socket created but not connected yet. */
function connectLater(url: string, token: string): ClientSocket {
  const manager = new Manager(url, { transports: ['websocket'], reconnection: false, autoConnect: false });
  const socket = manager.socket('/', { auth: { token } }) as ClientSocket;
  mine.push(() => {
    socket.disconnect();
  });
  return socket;
}

function opened(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
    socket.connect();
  });
}

function serverRooms(io: GatewayServer, client: ClientSocket): string[] {
  const socket = io.of('/').sockets.get(client.id!);
  return socket ? [...socket.rooms].sort() : [];
}

describe('connection setup', () => {
  it('joins user:, session: only with a session id, and the authorized guilds; socket.data holds the identity and nothing more', async () => {
    const logger = captureLogger();
    const acl = new Acl().allow(ALICE, G1).allow(BOB, G1, G2);
    const { url, io } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      acl,
      logger,
      gateway: { verifyToken },
    });
    const plain = await connect(url, 'plain');
    expect(serverRooms(io, plain)).toEqual([plain.id, rooms.guild(G1), rooms.user(ALICE)].sort());
    expect(io.of('/').sockets.get(plain.id!)?.data).toStrictEqual({ userId: ALICE });
    const full = await connect(url, 'full');
    expect(serverRooms(io, full)).toEqual(
      [full.id, rooms.guild(G1), rooms.guild(G2), rooms.session('sess-b'), rooms.user(BOB)].sort(),
    );
    expect(io.of('/').sockets.get(full.id!)?.data).toStrictEqual({
      userId: BOB,
      sessionId: 'sess-b',
      expiresAt: FAR_EXPIRY,
    });
    const connected = logger.entries.filter(
      (e) => e.level === 'debug' && e.msg.startsWith('Socket connected'),
    );
    expect(connected.map((e) => [e.msg, e.obj])).toEqual([
      [`Socket connected for user ${ALICE}`, { userId: ALICE, guilds: 1 }],
      [`Socket connected for user ${BOB}`, { userId: BOB, guilds: 2 }],
    ]);
  });

  it('arms no expiry timer for an identity without expiresAt (a NaN delay would spin every 1 ms)', async () => {
    const { url, io } = await startNode({ keyPrefix: uniquePrefix('gwb'), gateway: { verifyToken } });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const plain = await connect(url, 'plain');
      expect(io.of('/').sockets.get(plain.id!)?.data.userId).toBe(ALICE);
      const delays = spy.mock.calls.map((call) => call[1]);
      expect(delays.filter((d) => typeof d === 'number' && Number.isNaN(d))).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it('ignores a socket whose handshake started before attachSync (no crash, not counted)', async () => {
    const http = createServer();
    const io: GatewayServer = new Server(http, { transports: ['websocket'] });
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let waiting = false;
    io.use((_socket, next) => {
      waiting = true;
      void gate.then(() => next());
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const sync = new SyncClient({ redis: redisUrl(), keyPrefix: uniquePrefix('gwb') });
    await sync.connect();
    mine.push(async () => {
      await io.close();
      await sync.close();
    });
    const connecting = connect(url, undefined);
    await waitFor(() => waiting, { message: 'the handshake in the app middleware' });
    const gateway = attachSync(io, {
      sync,
      verifyToken: jwtVerifier({ secret: SECRET }),
      authorize: () => true,
      listGuilds: () => [G1],
    });
    mine.push(() => gateway.close());
    const seen: string[] = [];
    io.on('connection', (socket) => seen.push(socket.id)); // after the gateway's listener
    release!();
    const early = await connecting;
    await waitFor(() => seen.length === 1, { message: 'the app connection listener' });
    expect(seen).toEqual([early.id]);
    expect(serverRooms(io, early)).toEqual([early.id]);
    expect(gateway.stats()).toMatchObject({ connectedUsers: 0, totalConnections: 0, rooms: 0 });
  });
});

describe('disconnect bookkeeping and stats', () => {
  it('counts a user until their last socket is gone', async () => {
    const acl = new Acl().allow(ALICE, G1).allow(BOB, G1);
    const { url, gateway } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      acl,
      gateway: { verifyToken },
    });
    const a1 = await connect(url, 'plain');
    const a2 = await connect(url, 'plain');
    const b = await connect(url, 'bob');
    expect(gateway.stats()).toMatchObject({ connectedUsers: 2, totalConnections: 3 });
    b.disconnect();
    await waitFor(() => gateway.stats().totalConnections === 2);
    expect(gateway.stats()).toMatchObject({ connectedUsers: 1, totalConnections: 2 });
    a1.disconnect();
    await waitFor(() => gateway.stats().totalConnections === 1);
    expect(gateway.stats()).toMatchObject({ connectedUsers: 1, totalConnections: 1 });
    a2.disconnect();
    await waitFor(() => gateway.stats().totalConnections === 0);
    expect(gateway.stats()).toMatchObject({ connectedUsers: 0, totalConnections: 0, rooms: 0 });
  });

  it('stats().rooms counts guild rooms that have members, even while the adapter creates one', async () => {
    const acl = new Acl().allow(ALICE, G1).allow(BOB, G2);
    const { url, io, gateway } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      acl,
      gateway: { verifyToken },
    });
    const atCreation: number[] = [];
    io.of('/').adapter.on('create-room', (room: string) => {
      if (room.startsWith('guild:')) atCreation.push(gateway.stats().rooms);
    });
    await connect(url, 'plain');
    await connect(url, 'bob');
    expect(atCreation).toEqual([0, 1]); // the room being created has no member yet
    expect(gateway.stats().rooms).toBe(2);
  });

  it('a socket that disconnects while its join:guild check runs is not put in the guild room', async () => {
    const pending: ((allowed: boolean) => void)[] = [];
    const { url, io, gateway } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      gateway: {
        verifyToken,
        listGuilds: () => [],
        authorize: () => new Promise<boolean>((resolve) => pending.push(resolve)),
      },
    });
    const leaver = await connect(url, 'plain');
    const sentinel = await connect(url, 'bob');
    leaver.emit('join:guild', G1, () => {});
    await waitFor(() => pending.length === 1, { message: 'the join:guild check of the leaver' });
    leaver.disconnect();
    await waitFor(() => gateway.stats().totalConnections === 1);
    const sentinelAck = sentinel.emitWithAck('join:guild', G2);
    await waitFor(() => pending.length === 2, { message: 'the join:guild check of the sentinel' });
    // Answered in order: the leaver's check completes before the sentinel's ack is sent.
    pending[0]!(true);
    pending[1]!(true);
    expect(await sentinelAck).toEqual({ ok: true });
    const guildRooms = [...io.of('/').adapter.rooms.keys()].filter((r) => r.startsWith('guild:'));
    expect(guildRooms).toEqual([rooms.guild(G2)]);
    expect(gateway.stats().rooms).toBe(1);
  });
  it('a namespace socket that leaves while its join:guild check runs gets no late ack on the shared connection', async () => {
    const pending: ((allowed: boolean) => void)[] = [];
    const node = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      gateway: {
        verifyToken,
        listGuilds: () => [],
        authorize: () => new Promise<boolean>((resolve) => pending.push(resolve)),
      },
    });
    const { main } = await multiplexed(node.io, node.url, 'plain');
    await opened(main);
    const acks: unknown[] = [];
    main.io.on('packet', (packet: { type: number; nsp: string; id?: number }) => {
      if (packet.type === 3 && packet.nsp === '/') acks.push(packet.id);
    });
    main.emit('join:guild', G1, () => {});
    await waitFor(() => pending.length === 1, { message: 'the first join:guild check' });
    main.disconnect(); // the side namespace keeps the connection open
    await waitFor(() => node.gateway.stats().totalConnections === 0);
    await opened(main); // a new namespace socket on the same connection
    const sentinelAck = main.emitWithAck('join:guild', G2);
    await waitFor(() => pending.length === 2, { message: 'the sentinel join:guild check' });
    // Answered in order: the first check completes before the sentinel's ack is sent.
    pending[0]!(true);
    pending[1]!(true);
    expect(await sentinelAck).toEqual({ ok: true });
    expect(acks).toHaveLength(1); // the sentinel's only
    expect(node.gateway.stats().rooms).toBe(1);
  });
});

describe('join:guild / leave:guild acks', () => {
  it('events sent without an ack callback are handled without any "ack failed"', async () => {
    const logger = captureLogger();
    const acl = new Acl().allow(ALICE, G1);
    const { url } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      acl,
      logger,
      gateway: { verifyToken },
    });
    const socket = await connect(url, 'plain');
    const loose = socket as unknown as { emit(e: string, ...a: unknown[]): void };
    loose.emit('leave:guild', G1);
    loose.emit('join:guild', 'not-a-guild');
    loose.emit('leave:guild', G1, 'not-a-fn');
    // Sentinel: handled after the three above, in order.
    expect(await socket.emitWithAck('leave:guild', G1)).toEqual({ ok: true });
    expect(logger.count('ack failed')).toBe(0);
  });

  it('join:guild / leave:guild sent with only an ack (no guild id) are answered invalid', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const { url } = await startNode({ keyPrefix: uniquePrefix('gwb'), acl, gateway: { verifyToken } });
    const socket = await connect(url, 'plain');
    const loose = socket.timeout(5000) as unknown as { emitWithAck(e: string): Promise<GuildAck> };
    expect(await loose.emitWithAck('join:guild')).toEqual({ ok: false, error: 'invalid' });
    expect(await loose.emitWithAck('leave:guild')).toEqual({ ok: false, error: 'invalid' });
    expect(await socket.emitWithAck('join:guild', G1)).toEqual({ ok: true });
  });

  it('an ack callback that throws (an app socket middleware wrapping it) is logged at debug', async () => {
    const logger = captureLogger();
    const acl = new Acl().allow(ALICE, G1);
    const { url, io } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      acl,
      logger,
      gateway: { verifyToken },
    });
    const boom = new Error('ack metrics sink down');
    io.on('connection', (socket) => {
      socket.use((event, next) => {
        const ack = event[event.length - 1] as unknown;
        if (typeof ack === 'function') {
          event[event.length - 1] = (result: GuildAck) => {
            ack(result);
            throw boom;
          };
        }
        next();
      });
    });
    const socket = await connect(url, 'plain');
    expect(await socket.emitWithAck('leave:guild', G1)).toEqual({ ok: true });
    const failed = logger.entries.filter((e) => e.msg === 'ack failed');
    expect(failed.map((e) => [e.level, e.obj])).toEqual([['debug', { err: boom }]]);
    expect(await socket.emitWithAck('join:guild', G1)).toEqual({ ok: true }); // still served
  });

  it('a join:guild check that fails unexpectedly is logged at error, and the socket is still served', async () => {
    const base = captureLogger();
    const sinkDown = new Error('log sink down');
    // A logger whose warn throws for authorize failures: the check then rejects.
    const logger: Logger = {
      debug: base.debug,
      info: base.info,
      error: base.error,
      warn: (obj, msg) => {
        if (msg?.startsWith('authorize failed')) throw sinkDown;
        base.warn(obj, msg);
      },
    };
    let fail = true;
    const { url } = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      logger,
      gateway: {
        verifyToken,
        listGuilds: () => [],
        authorize: () => {
          if (fail) throw new Error('db down');
          return true;
        },
      },
    });
    const socket = await connect(url, 'plain');
    socket.emit('join:guild', G1, () => {});
    await waitFor(() => base.has('join:guild failed', 'error'), { message: 'the join:guild failure log' });
    const failed = base.entries.filter((e) => e.msg === 'join:guild failed');
    expect(failed.map((e) => [e.level, e.obj])).toEqual([['error', { err: sinkDown }]]);
    fail = false;
    expect(await socket.emitWithAck('join:guild', G1)).toEqual({ ok: true });
  });
});

describe('close(), revokeSession(), disconnectUser()', () => {
  it('a socket connecting while close() runs is disconnected, its whole connection closed', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const node = await startNode({ keyPrefix: uniquePrefix('gwb'), acl, gateway: { verifyToken } });
    // An app listener that runs before the gateway's and shuts the gateway down.
    (node.io.of('/') as unknown as NodeJS.EventEmitter).prependListener('connection', () => {
      void node.gateway.close();
    });
    const { main, side } = await multiplexed(node.io, node.url, 'plain');
    const mainGone = new Promise<string>((resolve) => main.once('disconnect', resolve));
    const sideGone = new Promise<string>((resolve) => side.once('disconnect', resolve));
    await opened(main);
    expect(await mainGone).toBe('io server disconnect');
    expect(await sideGone).toBe('io server disconnect');
    expect(node.gateway.stats()).toMatchObject({ connectedUsers: 0, totalConnections: 0, rooms: 0 });
  });

  it('a handshake still running when close() is called is refused, not left connected untracked', async () => {
    let release: (() => void) | undefined;
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handshakes = 0;
    const node = await startNode({
      keyPrefix: uniquePrefix('gwb'),
      gateway: {
        verifyToken,
        listGuilds: async () => {
          handshakes++;
          await started;
          return [G1];
        },
      },
    });
    const socket = connectLater(node.url, 'plain');
    const refused = new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.connect();
    await waitFor(() => handshakes === 1, { message: 'the handshake in listGuilds' });
    const closing = node.gateway.close();
    release?.();
    await closing;
    expect((await refused).message).toBe('unavailable');
    expect(node.io.of('/').sockets.size).toBe(0);
  });

  it('close() takes its connection listener off the namespace', async () => {
    const node = await startNode({ keyPrefix: uniquePrefix('gwb') });
    const nsp = node.io.of('/') as unknown as NodeJS.EventEmitter;
    expect(nsp.listenerCount('connection')).toBe(1);
    await node.gateway.close();
    expect(nsp.listenerCount('connection')).toBe(0);
  });

  it('close() closes each socket’s whole connection', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const node = await startNode({ keyPrefix: uniquePrefix('gwb'), acl, gateway: { verifyToken } });
    const { main, side } = await multiplexed(node.io, node.url, 'plain');
    await opened(main);
    const sideGone = new Promise<string>((resolve) => side.once('disconnect', resolve));
    await node.gateway.close();
    expect(await sideGone).toBe('io server disconnect');
    expect(main.connected).toBe(false);
  });

  it('revokeSession() and disconnectUser() close the whole connection of the sockets they target', async () => {
    const acl = new Acl().allow(ALICE, G1).allow(BOB, G1);
    const node = await startNode({ keyPrefix: uniquePrefix('gwb'), acl, gateway: { verifyToken } });
    const bob = await multiplexed(node.io, node.url, 'full');
    const alice = await multiplexed(node.io, node.url, 'plain');
    await opened(bob.main);
    await opened(alice.main);
    const bobSideGone = new Promise<string>((resolve) => bob.side.once('disconnect', resolve));
    node.gateway.revokeSession('sess-b');
    expect(await bobSideGone).toBe('io server disconnect');
    expect(alice.main.connected && alice.side.connected).toBe(true);
    const aliceSideGone = new Promise<string>((resolve) => alice.side.once('disconnect', resolve));
    node.gateway.disconnectUser(ALICE);
    expect(await aliceSideGone).toBe('io server disconnect');
  });

  it('revokeSession() and disconnectUser() name the bad id in their TypeError', async () => {
    const { gateway } = await startNode({ keyPrefix: uniquePrefix('gwb') });
    expect(() => gateway.revokeSession('a b')).toThrow(
      new TypeError('revokeSession: "a b" is not a session id'),
    );
    expect(() => gateway.disconnectUser('guild:1')).toThrow(
      new TypeError('disconnectUser: "guild:1" is not a user id'),
    );
  });
});

describe('attachSync io check', () => {
  it('refuses null and an Express-like app (a function with use) with the same clear error', () => {
    const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
    const options = { sync, verifyToken, authorize: () => true };
    const expressLike = Object.assign(() => {}, { use: () => {}, get: () => {} });
    for (const io of [null, expressLike]) {
      expect(() => attachSync(io as never, options)).toThrow(
        new TypeError('attachSync: `io` must be a Socket.io Server or Namespace'),
      );
    }
  });
});
