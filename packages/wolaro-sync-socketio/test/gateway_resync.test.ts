import { SyncClient } from '@wolaro/sync';
import {
  type CaptureLogger,
  captureLogger,
  type RedisServerHandle,
  sleep,
  startRedisServer,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachSyncOptions, RoomPair } from '../src/index.js';
import { Acl, type ClientSocket, cleanup, connect, mintToken, startNode, startPublisher } from './helpers.js';

/** Private Redis servers and their publishers, stopped after the helpers' nodes (last first). */
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await cleanup();
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function privateRedis(): Promise<RedisServerHandle> {
  const redis = await startRedisServer();
  closers.push(() => redis.stop());
  return redis;
}

const ALICE = '720000000000000001';
const BOB = '720000000000000002';
const G1 = '820000000000000001';
const G2 = '820000000000000002';
/** A guild nobody on the node watches. */
const G9 = '820000000000000009';

const REAUTH_REASON = 'Access re-checked after a bus outage';
const BUS_BACK = /^Sync bus back after an outage: guild:reload sent to \d+ guild rooms$/;

/** Every event a client receives, in order, as `event guildId [version]`. */
function timeline(socket: ClientSocket): string[] {
  const seen: string[] = [];
  socket.onAny((event: string, payload: { guildId?: string; version?: number }) => {
    seen.push([event, payload.guildId, payload.version].filter((x) => x !== undefined).join(' '));
  });
  return seen;
}

/** An `authorizeRooms` that answers (with the ACL) only when `release()` is called. */
function heldAuthorizeRooms(acl: Acl) {
  const calls: RoomPair[][] = [];
  const releases: (() => void)[] = [];
  const authorizeRooms = (pairs: readonly RoomPair[]) =>
    new Promise<RoomPair[]>((resolve) => {
      calls.push([...pairs]);
      releases.push(() => resolve(pairs.filter((p) => acl.authorize(p.userId, p.guildId))));
    });
  return { calls, authorizeRooms, release: () => releases.shift()?.() };
}

/** A node on a private Redis server that the test can take down. */
async function outageNode(options: {
  acl: Acl;
  logger?: CaptureLogger;
  gateway?: Partial<AttachSyncOptions>;
}) {
  const redis = await privateRedis();
  const keyPrefix = uniquePrefix('gwa');
  const logger = options.logger ?? captureLogger();
  const node = await startNode({
    keyPrefix,
    redis: redis.url,
    acl: options.acl,
    logger,
    gateway: { callbackTimeoutMs: 25_000, ...options.gateway },
  });
  // Subscribed after the gateway: when these run, the gateway has handled the event.
  let reached = 0;
  node.sync.subscribe('config:update', () => {
    reached++;
  });
  return {
    redis,
    node,
    logger,
    reached: () => reached,
    /** Kills and restarts Redis; `during` runs while it is down. */
    async outage(during?: () => void) {
      await redis.kill();
      during?.();
      await sleep(200);
      await redis.restart();
    },
    /** A publisher on the node's Redis (after the outage), closed by the test's cleanup. */
    async publisher() {
      const pub = new SyncClient({ redis: redis.url, keyPrefix, listen: false });
      await pub.connect();
      closers.push(() => pub.close());
      await waitFor(() => node.sync.stats().connected, { timeoutMs: 10_000 });
      return pub;
    },
  };
}

describe('guild events during the rooms re-check (authorizeRooms)', () => {
  it('holds them until the re-check is done, then sends them in order, after the reloads, to the rooms left', async () => {
    const acl = new Acl().allow(ALICE, G1, G2).allow(BOB, G1, G2);
    const held = heldAuthorizeRooms(acl);
    const t = await outageNode({ acl, gateway: { authorizeRooms: held.authorizeRooms } });
    const alice = await connect(t.node.url, await mintToken({ sub: ALICE, sid: 'sa' }));
    const bob = await connect(t.node.url, await mintToken({ sub: BOB, sid: 'sb' }));
    const aliceSeen = timeline(alice);
    const bobSeen = timeline(bob);

    // Bob loses G1 while the bus is down: no event will ever say so.
    await t.outage(() => acl.deny(BOB, G1));
    await waitFor(() => held.calls.length === 1, { timeoutMs: 10_000, message: 'the re-check' });
    const pub = await t.publisher();
    await pub.publishConfigUpdate(G1, { n: 1 }, 1);
    await pub.publishConfigUpdate(G2, { n: 2 }, 2);
    await waitFor(() => t.reached() === 2, { message: 'the node to get both events' });
    held.release();

    // Sent after the re-check: Bob, out of G1 by then, must get none of G1's events.
    await waitFor(() => t.logger.has(BUS_BACK), { message: 'the resync to finish' });
    await pub.publishConfigUpdate(G1, { n: 3 }, 3);
    await pub.publishConfigUpdate(G2, { n: 4 }, 4);
    await waitFor(() => aliceSeen.length === 6 && bobSeen.length === 4);

    expect(aliceSeen.slice(0, 2).sort()).toEqual([`guild:reload ${G1}`, `guild:reload ${G2}`]);
    expect(aliceSeen.slice(2)).toEqual([
      `config:updated ${G1} 1`,
      `config:updated ${G2} 2`,
      `config:updated ${G1} 3`,
      `config:updated ${G2} 4`,
    ]);
    expect(bobSeen).toEqual([
      `permission:revoked ${G1}`,
      `guild:reload ${G2}`,
      `config:updated ${G2} 2`,
      `config:updated ${G2} 4`,
    ]);

    const rechecked = t.logger.entries.filter((e) => e.msg.startsWith('Guild rooms re-checked'));
    expect(rechecked).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'Guild rooms re-checked after the outage: 1 removed',
        obj: { sockets: 2, removed: 1 },
      }),
    ]);
    const back = t.logger.entries.filter((e) => BUS_BACK.test(e.msg));
    expect(back).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'Sync bus back after an outage: guild:reload sent to 2 guild rooms',
        obj: { rooms: 2 },
      }),
    ]);
  });

  it('tells a socket why it was taken out of a room', async () => {
    const acl = new Acl().allow(BOB, G1);
    const held = heldAuthorizeRooms(acl);
    const t = await outageNode({ acl, gateway: { authorizeRooms: held.authorizeRooms } });
    const bob = await connect(t.node.url, await mintToken({ sub: BOB }));
    const revoked = new Promise((resolve) => bob.once('permission:revoked', resolve));
    await t.outage(() => acl.deny(BOB, G1));
    await waitFor(() => held.calls.length === 1, { timeoutMs: 10_000 });
    held.release();
    expect(await revoked).toEqual({
      guildId: G1,
      userId: BOB,
      reason: REAUTH_REASON,
      timestamp: expect.any(Number),
    });
  });

  it('past 10,000 held events, sends them all at once (warned) and stops holding', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const held = heldAuthorizeRooms(acl);
    const t = await outageNode({ acl, gateway: { authorizeRooms: held.authorizeRooms } });
    const alice = await connect(t.node.url, await mintToken({ sub: ALICE }));
    const aliceSeen = timeline(alice);
    await t.outage();
    await waitFor(() => held.calls.length === 1, { timeoutMs: 10_000 });
    const pub = await t.publisher();

    // 10,000 events are held (the first one for Alice's room, the others for a room nobody watches).
    await pub.publishConfigUpdate(G1, { n: 1 }, 1);
    for (let i = 0; i < 9_999; i += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, 9_999 - i) }, (_, j) =>
        pub.publishConfigUpdate(G9, { n: i + j }, i + j + 2),
      );
      await Promise.all(batch);
    }
    await waitFor(() => t.reached() === 10_000, { timeoutMs: 20_000, message: '10,000 events at the node' });
    expect(t.logger.has('Too many events held')).toBe(false);
    expect(t.node.gateway.stats()).toMatchObject({ eventsSent: 0, eventsUnwatched: 0 });

    // The 10,001st: everything goes out now, though the re-check is still running.
    await pub.publishConfigUpdate(G1, { n: 2 }, 20_000);
    await waitFor(() => aliceSeen.length === 2, { message: 'both G1 events during the re-check' });
    expect(aliceSeen).toEqual([`config:updated ${G1} 1`, `config:updated ${G1} 20000`]);
    expect(t.node.gateway.stats()).toMatchObject({ eventsSent: 2, eventsUnwatched: 9_999 });
    const warnings = t.logger.entries.filter((e) => e.msg.startsWith('Too many events held'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'Too many events held during the rooms re-check: sent now',
        obj: { held: 10_000 },
      }),
    ]);
    // No longer holding: the next event goes out at once too.
    await pub.publishConfigUpdate(G1, { n: 3 }, 20_001);
    await waitFor(() => aliceSeen.length === 3);
    expect(held.calls).toHaveLength(1);
    held.release();
    await waitFor(() => t.logger.has(BUS_BACK));
  });

  it('with reloadOnResync: false, releases the held events without any guild:reload', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const held = heldAuthorizeRooms(acl);
    const t = await outageNode({
      acl,
      gateway: { authorizeRooms: held.authorizeRooms, reloadOnResync: false },
    });
    const alice = await connect(t.node.url, await mintToken({ sub: ALICE }));
    const aliceSeen = timeline(alice);
    await t.outage();
    await waitFor(() => held.calls.length === 1, { timeoutMs: 10_000 });
    const pub = await t.publisher();
    await pub.publishConfigUpdate(G1, { n: 1 }, 1);
    await waitFor(() => t.reached() === 1);
    held.release();
    // A reload would be sent before the held event, on the same socket.
    await waitFor(() => aliceSeen.length === 1);
    expect(aliceSeen).toEqual([`config:updated ${G1} 1`]);
    expect(t.logger.has(BUS_BACK)).toBe(false);
  });
});

describe('re-check outcomes and logs', () => {
  it('no re-check without authorizeRooms; no "re-checked" line when it fails; unexpected failures logged', async () => {
    const redis = await privateRedis();
    const boom = new Error('lazy row: connection closed');
    const variants = {
      none: {},
      failing: {
        authorizeRooms: () => {
          throw new Error('database down');
        },
      },
      // An answer whose rows throw when read (e.g. lazy ORM rows): not a guarded call.
      throwingRows: {
        authorizeRooms: (pairs: readonly RoomPair[]) =>
          pairs.map((p) => ({
            guildId: p.guildId,
            get userId(): string {
              throw boom;
            },
          })),
      },
    } satisfies Record<string, Partial<AttachSyncOptions>>;
    const started = [];
    for (const [name, gateway] of Object.entries(variants)) {
      const logger = captureLogger();
      const node = await startNode({
        keyPrefix: uniquePrefix('gwa'),
        redis: redis.url,
        acl: new Acl().allow(ALICE, G1),
        logger,
        gateway,
      });
      const alice = await connect(node.url, await mintToken({ sub: ALICE }));
      started.push({ name, logger, seen: timeline(alice) });
    }
    await redis.kill();
    await sleep(200);
    await redis.restart();
    for (const s of started) {
      // The reload goes out after the re-check (or its failure) was logged.
      await waitFor(() => s.seen.length === 1 && s.logger.has(BUS_BACK), { timeoutMs: 10_000 });
      expect(s.seen).toEqual([`guild:reload ${G1}`]);
    }
    const [none, failing, throwingRows] = started.map((s) => s.logger);
    expect(none!.has(/Guild rooms/)).toBe(false);
    expect(none!.entries.filter((e) => e.level === 'error')).toEqual([]);

    expect(failing!.has(/Guild rooms not re-checked after the outage.*database down/, 'error')).toBe(true);
    expect(failing!.has('Guild rooms re-checked')).toBe(false);

    const unexpected = throwingRows!.entries.filter(
      (e) => e.msg === 'Guild rooms re-check failed unexpectedly',
    );
    expect(unexpected).toEqual([expect.objectContaining({ level: 'error', obj: { err: boom } })]);
    expect(throwingRows!.has('Guild rooms re-checked')).toBe(false);
  });
});

describe('close()', () => {
  it("stops listening to the app's SyncClient", async () => {
    const keyPrefix = uniquePrefix('gwa');
    const node = await startNode({ keyPrefix, acl: new Acl().allow(ALICE, G1) });
    const listeners = node.sync.listenerCount('resync');
    expect(listeners).toBeGreaterThan(0);
    const alice = await connect(node.url, await mintToken({ sub: ALICE }));
    void alice;
    await node.gateway.close();
    expect(node.sync.listenerCount('resync')).toBe(listeners - 1);

    // The SyncClient is the app's and stays connected: its events no longer reach the gateway.
    let reached = 0;
    node.sync.subscribe('config:update', () => {
      reached++;
    });
    const before = node.gateway.stats();
    const pub = await startPublisher(keyPrefix);
    await pub.publishConfigUpdate(G1, { n: 1 }, 1);
    await waitFor(() => reached === 1);
    expect(node.gateway.stats()).toEqual(before);
  });

  it('a resync queued before close() does not run after it', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const held = heldAuthorizeRooms(acl);
    const t = await outageNode({ acl, gateway: { authorizeRooms: held.authorizeRooms } });
    await connect(t.node.url, await mintToken({ sub: ALICE }));
    await t.outage();
    await waitFor(() => held.calls.length === 1, { timeoutMs: 10_000 });
    // A second outage while the first re-check runs: its resync waits for the first one.
    await t.outage();
    await waitFor(() => t.logger.count('Sync transport reconnected, resync') === 2, { timeoutMs: 10_000 });
    await t.node.gateway.close();
    held.release();
    await waitFor(() => t.logger.has(BUS_BACK));
    // The queued resync would run right after, with no I/O in between: let it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.logger.count(BUS_BACK)).toBe(1);
    expect(t.logger.count('Guild rooms re-checked')).toBe(1);
    expect(held.calls).toHaveLength(1);
  });
});
