import { SyncClient } from '@wolaro/sync';
import { captureLogger, sleep, startRedisServer, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoomPair } from '../src/index.js';
import { Acl, cleanup, collect, connect, mintToken, startNode, startPublisher } from './helpers.js';

afterEach(cleanup);

const ALICE = '510000000000000001';
const BOB = '510000000000000002';
const G1 = '610000000000000001';
const G2 = '610000000000000002';
const SENTINEL_GUILD = '610000000000000099';

describe('session:revoked', () => {
  it('every node (no Socket.io adapter) disconnects its sockets of that session only, after telling them why', async () => {
    const keyPrefix = uniquePrefix('sess');
    const acl = new Acl().allow(ALICE, G1);
    const nodes = [await startNode({ keyPrefix, acl }), await startNode({ keyPrefix, acl })];
    const revokedTabs = [
      await connect(nodes[0]!.url, await mintToken({ sub: ALICE, sid: 's-1' })),
      await connect(nodes[1]!.url, await mintToken({ sub: ALICE, sid: 's-1' })),
    ];
    const otherSession = await connect(nodes[1]!.url, await mintToken({ sub: ALICE, sid: 's-2' }));
    const got = revokedTabs.map((s) => collect(s, 'session:revoked'));
    const closed = revokedTabs.map((s) => new Promise<string>((resolve) => s.once('disconnect', resolve)));
    const otherGot = collect(otherSession, 'session:revoked');
    const otherSentinel = collect(otherSession, 'permission:revoked');

    const pub = await startPublisher(keyPrefix);
    await pub.publish('session:revoked', { sessionId: 's-1', userId: ALICE, reason: 'logout' });
    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    for (const events of got) {
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ sessionId: 's-1', userId: ALICE, reason: 'logout' });
    }
    // Sentinel on the same bus: the other session of the same user gets it, and nothing else.
    await pub.publish('permission:revoked', { guildId: SENTINEL_GUILD, userId: ALICE, reason: 'sentinel' });
    await waitFor(() => otherSentinel.length === 1);
    expect(otherGot).toEqual([]);
    expect(otherSession.connected).toBe(true);
  });

  it('a session revoked while its handshake runs is disconnected on connection', async () => {
    const keyPrefix = uniquePrefix('sess');
    let release: () => void = () => {};
    let inListGuilds = false;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const node = await startNode({
      keyPrefix,
      acl: new Acl().allow(ALICE, G1),
      gateway: {
        // listGuilds runs after the token check: hold it until the revocation went through.
        listGuilds: async () => {
          inListGuilds = true;
          await gate;
          return [G1];
        },
      },
    });
    let handled = false;
    // Subscribed after the gateway: when this runs, the gateway's handler has run.
    node.sync.subscribe('session:revoked', () => {
      handled = true;
    });
    const connecting = connect(node.url, await mintToken({ sub: ALICE, sid: 's-late' }));
    const pub = await startPublisher(keyPrefix);
    // The handshake is past its token check and waits in listGuilds, not yet connected.
    await waitFor(() => inListGuilds, { message: 'the handshake to reach listGuilds' });
    expect(node.gateway.stats().totalConnections).toBe(0);
    expect(node.io.of('/').sockets.size).toBe(0);
    await pub.publish('session:revoked', { sessionId: 's-late', userId: ALICE, reason: 'logout' });
    await waitFor(() => handled, { message: 'the node to handle the revocation' });
    release();
    const socket = await connecting;
    await waitFor(() => !socket.connected, { message: 'the late socket to be disconnected' });
    expect(node.gateway.stats().totalConnections).toBe(0);
  });
});

describe('re-authorization after a bus outage (authorizeRooms)', () => {
  async function outage(redis: Awaited<ReturnType<typeof startRedisServer>>) {
    await redis.kill();
    await sleep(200);
    await redis.restart();
  }

  it('re-checks every room of the node in ONE call, removes what is no longer allowed, then reloads the rest', async () => {
    const redis = await startRedisServer();
    try {
      const acl = new Acl().allow(ALICE, G1, G2).allow(BOB, G1);
      const calls: RoomPair[][] = [];
      const keyPrefix = uniquePrefix('reauth');
      const node = await startNode({
        keyPrefix,
        redis: redis.url,
        acl,
        gateway: {
          authorizeRooms: (pairs) => {
            calls.push([...pairs]);
            return pairs.filter((p) => acl.authorize(p.userId, p.guildId));
          },
        },
      });
      const alice = await connect(node.url, await mintToken({ sub: ALICE, sid: 'a' }));
      const alice2 = await connect(node.url, await mintToken({ sub: ALICE, sid: 'a2' }));
      const bob = await connect(node.url, await mintToken({ sub: BOB, sid: 'b' }));
      const bobRevoked = collect(bob, 'permission:revoked');
      const bobReloads = collect(bob, 'guild:reload');
      const bobUpdates = collect(bob, 'config:updated');
      const aliceReloads = collect(alice, 'guild:reload');
      const aliceRevoked = collect(alice, 'permission:revoked');
      void alice2;

      // Bob loses G1 while the bus is down: no event will ever say so.
      await redis.kill();
      acl.deny(BOB, G1);
      await sleep(200);
      await redis.restart();

      await waitFor(() => bobRevoked.length === 1 && aliceReloads.length === 2, { timeoutMs: 10_000 });
      expect(calls).toHaveLength(1);
      const asKeys = (pairs: RoomPair[]) => pairs.map((p) => `${p.userId}:${p.guildId}`).sort();
      expect(asKeys(calls[0]!)).toEqual([`${ALICE}:${G1}`, `${ALICE}:${G2}`, `${BOB}:${G1}`]);
      expect(bobRevoked[0]).toMatchObject({
        guildId: G1,
        userId: BOB,
        reason: 'Access re-checked after a bus outage',
      });
      expect(aliceRevoked).toEqual([]);
      expect(aliceReloads.map((e) => e.guildId).sort()).toEqual([G1, G2]);

      const pub = new SyncClient({ redis: redis.url, keyPrefix, listen: false });
      try {
        await pub.connect();
        await waitFor(() => node.sync.stats().connected);
        await pub.publishConfigUpdate(G1, { prefix: '?' }, 5);
        await pub.publish('permission:revoked', { guildId: SENTINEL_GUILD, userId: BOB, reason: 'sentinel' });
        await waitFor(() => bobRevoked.length === 2);
        // Bob was out of G1 before the reload went out: no reload of G1 for him (the sentinel, sent
        // after the reloads, reached him with none before it), and no update of G1 either.
        expect(bobReloads).toEqual([]);
        expect(bobUpdates).toEqual([]);
      } finally {
        await pub.close();
      }
    } finally {
      await cleanup();
      await redis.stop();
    }
  });

  it('a failing authorizeRooms changes nothing (logged) and the reload still goes out', async () => {
    const redis = await startRedisServer();
    try {
      const logger = captureLogger();
      const acl = new Acl().allow(ALICE, G1);
      const node = await startNode({
        keyPrefix: uniquePrefix('reauth'),
        redis: redis.url,
        acl,
        logger,
        gateway: {
          authorizeRooms: () => {
            throw new Error('database down');
          },
        },
      });
      const alice = await connect(node.url, await mintToken({ sub: ALICE }));
      const reloads = collect(alice, 'guild:reload');
      const revoked = collect(alice, 'permission:revoked');
      await outage(redis);
      await waitFor(() => reloads.length === 1, { timeoutMs: 10_000 });
      expect(revoked).toEqual([]);
      expect(logger.has(/Guild rooms not re-checked after the outage.*database down/)).toBe(true);
    } finally {
      await cleanup();
      await redis.stop();
    }
  });
});
