// Gateway (attach.ts, second half): session revoked during the handshake, how long revocations
// are remembered, permission:revoked and session:revoked from the bus (log lines, users with no
// socket on this node, closing the whole connection) and token expiry.
import { captureLogger, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Manager, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AttachSyncOptions, rooms, type TokenVerifier } from '../src/index.js';
import {
  Acl,
  type ClientSocket,
  cleanup,
  collect,
  connect,
  type GatewayServer,
  startNode,
  startPublisher,
} from './helpers.js';

const mine: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const fn of mine.splice(0).reverse()) await fn();
  await cleanup();
});

const ALICE = '320000000000000001';
const AWAY = '320000000000000003'; // a user with no socket on the node
const G1 = '420000000000000001';
const SENTINEL_GUILD = '420000000000000099';
const SIDE = '/side';

/** A verifier whose tokens name the identity to return (`exp:<ms>` expires that many ms from now). */
const verifyToken = ((token: string) => {
  if (token.startsWith('exp:')) return { userId: ALICE, expiresAt: Date.now() + Number(token.slice(4)) };
  const [userId, sessionId] = token.split('/');
  return sessionId === undefined ? { userId } : { userId, sessionId };
}) as unknown as TokenVerifier;

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

function gone(socket: { once(e: 'disconnect', l: (reason: string) => void): unknown }): Promise<string> {
  return new Promise((resolve) => socket.once('disconnect', resolve));
}

/** A node whose handshakes wait in listGuilds until `release()`. */
async function gatedNode(keyPrefix: string, gateway: Partial<AttachSyncOptions> = {}) {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let inListGuilds = false;
  const node = await startNode({
    keyPrefix,
    acl: new Acl().allow(ALICE, G1),
    gateway: {
      verifyToken,
      listGuilds: async () => {
        inListGuilds = true;
        await gate;
        return [G1];
      },
      ...gateway,
    },
  });
  let handled = 0;
  // Subscribed after the gateway: when this runs, the gateway's handler has run.
  node.sync.subscribe('session:revoked', () => {
    handled++;
  });
  return { node, release, reached: () => inListGuilds, handled: () => handled };
}

describe('session revoked while the handshake runs', () => {
  it('tells the socket why (session:revoked, reason revoked), then closes its whole connection', async () => {
    const keyPrefix = uniquePrefix('gwb');
    const gated = await gatedNode(keyPrefix);
    const { node } = gated;
    const { main, side } = await multiplexed(node.io, node.url, `${ALICE}/s-late`);
    const events: string[] = [];
    const revoked = collect(main, 'session:revoked');
    main.on('session:revoked', () => events.push('session:revoked'));
    const mainGone = gone(main).then((reason) => events.push(`disconnect:${reason}`));
    const sideGone = gone(side);
    main.connect();
    await waitFor(gated.reached, { message: 'the handshake to reach listGuilds' });
    const pub = await startPublisher(keyPrefix);
    await pub.publish('session:revoked', { sessionId: 's-late', userId: ALICE, reason: 'logout' });
    await waitFor(() => gated.handled() === 1, { message: 'the node to handle the revocation' });
    const before = Date.now();
    gated.release();
    await mainGone;
    expect(events).toEqual(['session:revoked', 'disconnect:io server disconnect']);
    expect(revoked).toEqual([
      { sessionId: 's-late', userId: ALICE, reason: 'revoked', timestamp: expect.any(Number) },
    ]);
    expect(revoked[0]!.timestamp).toBeGreaterThanOrEqual(before);
    expect(await sideGone).toBeTruthy();
    expect(node.gateway.stats().totalConnections).toBe(0);
  });

  it('a socket without a session id is not hit by a revoked session named "undefined"', async () => {
    const keyPrefix = uniquePrefix('gwb');
    const gated = await gatedNode(keyPrefix);
    const { node } = gated;
    const connecting = connect(node.url, ALICE);
    await waitFor(gated.reached, { message: 'the handshake to reach listGuilds' });
    const pub = await startPublisher(keyPrefix);
    await pub.publish('session:revoked', { sessionId: 'undefined', userId: ALICE, reason: 'logout' });
    await waitFor(() => gated.handled() === 1, { message: 'the node to handle the revocation' });
    gated.release();
    const socket = await connecting;
    // The connection handler ran before the client saw `connect`.
    expect(node.gateway.stats()).toMatchObject({ connectedUsers: 1, totalConnections: 1, rooms: 1 });
    const server = node.io.of('/').sockets.get(socket.id!);
    expect(server && [...server.rooms].sort()).toEqual(
      [socket.id, rooms.guild(G1), rooms.user(ALICE)].sort(),
    );
  });
});

describe('how long revocations are remembered', () => {
  const TIMEOUT_MS = 4000;
  const REMEMBERED_MS = 3 * TIMEOUT_MS + 1000; // verifyToken + listGuilds + authorize, and 1 s more

  /**
   * Connects ALICE (allowed on G1) while two revocations of another user's sessions arrive, `gapMs`
   * apart on the gateway's clock (`performance.now`, faked); returns the rooms the socket got, and
   * the rooms it gets when nothing is forgotten.
   */
  async function roomsAfterRevocations(
    gapMs: number,
  ): Promise<{ got: string[]; user: string[]; all: string[] }> {
    const keyPrefix = uniquePrefix('gwb');
    const gated = await gatedNode(keyPrefix, { callbackTimeoutMs: TIMEOUT_MS });
    const { node } = gated;
    const connecting = connect(node.url, ALICE);
    await waitFor(gated.reached, { message: 'the handshake to reach listGuilds' });
    const pub = await startPublisher(keyPrefix);
    vi.useFakeTimers({ toFake: ['performance'] });
    await pub.publish('session:revoked', { sessionId: 's-away-1', userId: AWAY, reason: 'logout' });
    await waitFor(() => gated.handled() === 1, { message: 'the node to handle the first revocation' });
    vi.advanceTimersByTime(gapMs);
    await pub.publish('session:revoked', { sessionId: 's-away-2', userId: AWAY, reason: 'logout' });
    await waitFor(() => gated.handled() === 2, { message: 'the node to handle the second revocation' });
    gated.release();
    const socket = await connecting;
    const server = node.io.of('/').sockets.get(socket.id!);
    const user = [socket.id!, rooms.user(ALICE)].sort();
    return { got: server ? [...server.rooms].sort() : [], user, all: [...user, rooms.guild(G1)].sort() };
  }

  it('keeps them 3 × callbackTimeoutMs + 1 s: a handshake running meanwhile keeps its guild rooms', async () => {
    const { got, all } = await roomsAfterRevocations(REMEMBERED_MS);
    expect(got).toEqual(all);
  });

  it('past that, a handshake that was running when one was forgotten loses its guild rooms (it may have missed one)', async () => {
    const { got, user } = await roomsAfterRevocations(REMEMBERED_MS + 1);
    expect(got).toEqual(user);
  });
});

describe('revocations from the bus', () => {
  it('logs a permission revocation for users on this node only, with its ids', async () => {
    const keyPrefix = uniquePrefix('gwb');
    const logger = captureLogger();
    const acl = new Acl().allow(ALICE, G1, SENTINEL_GUILD);
    const { url } = await startNode({ keyPrefix, acl, logger, gateway: { verifyToken } });
    const alice = await connect(url, ALICE);
    const revoked = collect(alice, 'permission:revoked');
    const pub = await startPublisher(keyPrefix);
    await pub.publishPermissionRevoked(G1, AWAY, 'not here');
    await pub.publishPermissionRevoked(SENTINEL_GUILD, ALICE, 'sentinel'); // same channel, after it
    await waitFor(() => revoked.length === 1);
    const lines = logger.entries.filter((e) => e.msg.startsWith('Permission revoked'));
    expect(lines.map((e) => [e.level, e.msg, e.obj])).toEqual([
      [
        'info',
        `Permission revoked for user ${ALICE} on guild ${SENTINEL_GUILD}`,
        { userId: ALICE, guildId: SENTINEL_GUILD },
      ],
    ]);
  });

  it('logs a session revocation for users on this node only, with its ids and reason', async () => {
    const keyPrefix = uniquePrefix('gwb');
    const logger = captureLogger();
    const { url } = await startNode({ keyPrefix, logger, gateway: { verifyToken } });
    const alice = await connect(url, `${ALICE}/s-a`);
    const aliceGone = gone(alice);
    const pub = await startPublisher(keyPrefix);
    await pub.publish('session:revoked', { sessionId: 's-away', userId: AWAY, reason: 'relogin' });
    await pub.publish('session:revoked', { sessionId: 's-a', userId: ALICE, reason: 'logout' });
    expect(await aliceGone).toBe('io server disconnect');
    await waitFor(() => logger.has('Session s-a'), { message: 'the log line of s-a' });
    const lines = logger.entries.filter((e) => e.msg.startsWith('Session '));
    expect(lines.map((e) => [e.level, e.msg, e.obj])).toEqual([
      [
        'info',
        `Session s-a of user ${ALICE} revoked (logout), its sockets disconnected`,
        { userId: ALICE, sessionId: 's-a', reason: 'logout' },
      ],
    ]);
  });

  it('disconnectOnRevoke closes the whole connection of the revoked user', async () => {
    const keyPrefix = uniquePrefix('gwb');
    const acl = new Acl().allow(ALICE, G1);
    const node = await startNode({ keyPrefix, acl, gateway: { verifyToken, disconnectOnRevoke: true } });
    const { main, side } = await multiplexed(node.io, node.url, ALICE);
    main.connect();
    await new Promise((resolve) => main.once('connect', () => resolve(undefined)));
    const sideGone = gone(side);
    const pub = await startPublisher(keyPrefix);
    await pub.publishPermissionRevoked(G1, ALICE, 'kicked');
    expect(await sideGone).toBeTruthy();
    expect(main.connected).toBe(false);
  });

  it('a session revoked on the bus closes the whole connection of its sockets', async () => {
    const keyPrefix = uniquePrefix('gwb');
    const node = await startNode({ keyPrefix, gateway: { verifyToken } });
    const { main, side } = await multiplexed(node.io, node.url, `${ALICE}/s-x`);
    main.connect();
    await new Promise((resolve) => main.once('connect', () => resolve(undefined)));
    const sideGone = gone(side);
    const pub = await startPublisher(keyPrefix);
    await pub.publish('session:revoked', { sessionId: 's-x', userId: ALICE, reason: 'logout' });
    expect(await sideGone).toBeTruthy();
    expect(main.connected).toBe(false);
  });
});

describe('token expiry', () => {
  it('at expiry: session:expired, a debug line naming the user, and the whole connection closed', async () => {
    const logger = captureLogger();
    const node = await startNode({ keyPrefix: uniquePrefix('gwb'), logger, gateway: { verifyToken } });
    const { main, side } = await multiplexed(node.io, node.url, 'exp:300');
    const expired = collect(main, 'session:expired');
    const mainGone = gone(main);
    const sideGone = gone(side);
    main.connect();
    expect(await mainGone).toBe('io server disconnect');
    expect(await sideGone).toBeTruthy();
    expect(expired).toEqual([{ expiresAt: expect.any(Number) }]);
    const lines = logger.entries.filter((e) => e.msg.startsWith('Token of user'));
    expect(lines.map((e) => [e.level, e.msg, e.obj])).toEqual([
      ['debug', `Token of user ${ALICE} expired, socket disconnected`, { userId: ALICE }],
    ]);
    expect(node.gateway.stats().totalConnections).toBe(0);
  });
});
