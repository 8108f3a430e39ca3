import { uniquePrefix, waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Acl,
  type ClientSocket,
  cleanup,
  clusterPrefix,
  collect,
  connect,
  mintToken,
  startNode,
  startPublisher,
} from './helpers.js';

afterEach(cleanup);

const REVOKED = '500000000000000001';
const STAYS = '500000000000000002';
const GUILD = '600000000000000001';
const SENTINEL_GUILD = '600000000000000002';

/** Counts every event of GUILD a socket receives after `since()` turns true, and all sentinels. */
function watch(socket: ClientSocket) {
  const guildEvents: number[] = [];
  const revoked = collect(socket, 'permission:revoked');
  const sentinels = collect(socket, 'guild:reload');
  socket.on('config:updated', (e) => {
    if (e.guildId === GUILD) guildEvents.push(e.version ?? -1);
  });
  return { guildEvents, revoked, sentinels };
}

async function publishBurst(pub: Awaited<ReturnType<typeof startPublisher>>, from: number, count: number) {
  for (let i = 0; i < count; i++) await pub.publishConfigUpdate(GUILD, { n: from + i }, from + i);
}

describe('permission:revoked', () => {
  it('removes the user from the guild room at once: one permission:revoked, then zero events of that guild', async () => {
    const keyPrefix = uniquePrefix('rev');
    const acl = new Acl().allow(REVOKED, GUILD, SENTINEL_GUILD).allow(STAYS, GUILD);
    const { url, gateway } = await startNode({ keyPrefix, acl });
    // The revoked user has two tabs open; another admin stays.
    const tabs = [
      await connect(url, await mintToken({ sub: REVOKED, sid: 'tab1' })),
      await connect(url, await mintToken({ sub: REVOKED, sid: 'tab2' })),
    ];
    const other = await connect(url, await mintToken({ sub: STAYS }));
    const watched = tabs.map(watch);
    const otherWatch = watch(other);
    const pub = await startPublisher(keyPrefix);

    await publishBurst(pub, 1, 5); // before: everyone gets them
    acl.deny(REVOKED, GUILD);
    await pub.publishPermissionRevoked(GUILD, REVOKED, 'Administrator role removed');
    await publishBurst(pub, 100, 100);
    await pub.publishGuildReload(SENTINEL_GUILD, 'sentinel'); // the revoked user is still in this guild

    await waitFor(
      () => otherWatch.guildEvents.length === 105 && watched.every((w) => w.sentinels.length === 1),
    );
    for (const w of watched) {
      expect(w.revoked).toHaveLength(1);
      expect(w.revoked[0]).toMatchObject({
        guildId: GUILD,
        userId: REVOKED,
        reason: 'Administrator role removed',
      });
      expect(w.guildEvents).toEqual([1, 2, 3, 4, 5]); // the 5 before, none of the 100 after
    }
    expect(otherWatch.guildEvents).toHaveLength(105);
    expect(otherWatch.revoked).toEqual([]); // not sent to the rest of the room
    // Re-joining is refused too: authorize says no now.
    expect(await tabs[0]!.emitWithAck('join:guild', GUILD)).toEqual({ ok: false, error: 'forbidden' });
    expect(gateway.stats()).toMatchObject({ connectedUsers: 2, totalConnections: 3 });
  });

  it('applies across two Socket.io nodes (redis adapter): each client gets one permission:revoked, then nothing of that guild', async () => {
    const cluster = clusterPrefix();
    const acl = new Acl().allow(REVOKED, GUILD, SENTINEL_GUILD).allow(STAYS, GUILD);
    const a = await startNode({ ...cluster, acl });
    const b = await startNode({ ...cluster, acl });
    const revokedA = await connect(a.url, await mintToken({ sub: REVOKED, sid: 'on-a' }));
    const revokedB = await connect(b.url, await mintToken({ sub: REVOKED, sid: 'on-b' }));
    const staysA = await connect(a.url, await mintToken({ sub: STAYS }));
    const staysB = await connect(b.url, await mintToken({ sub: STAYS }));
    const revokedWatch = [revokedA, revokedB].map(watch);
    const staysWatch = [staysA, staysB].map(watch);
    const pub = await startPublisher(cluster.keyPrefix);

    acl.deny(REVOKED, GUILD);
    await pub.publishPermissionRevoked(GUILD, REVOKED, 'Administrator role removed');
    await publishBurst(pub, 1, 100);
    await pub.publishGuildReload(SENTINEL_GUILD, 'sentinel');

    await waitFor(
      () =>
        staysWatch.every((w) => w.guildEvents.length === 100) &&
        revokedWatch.every((w) => w.sentinels.length === 1),
    );
    // A duplicate permission:revoked would travel over the adapter: broadcast a sentinel from each
    // node over the adapter too, and wait for both on every revoked socket.
    for (const node of [a, b]) {
      node.io.to(`user:${REVOKED}`).emit('guild:reload', { guildId: SENTINEL_GUILD, timestamp: Date.now() });
    }
    await waitFor(() => revokedWatch.every((w) => w.sentinels.length === 3));
    for (const w of revokedWatch) {
      expect(w.revoked).toHaveLength(1);
      expect(w.guildEvents).toEqual([]);
    }
    for (const w of staysWatch) {
      expect(w.guildEvents).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(w.revoked).toEqual([]);
    }
  });

  it('with disconnectOnRevoke, disconnects the user after delivering permission:revoked', async () => {
    const keyPrefix = uniquePrefix('revdc');
    const acl = new Acl().allow(REVOKED, GUILD).allow(STAYS, GUILD);
    const { url } = await startNode({ keyPrefix, acl, gateway: { disconnectOnRevoke: true } });
    const revoked = await connect(url, await mintToken({ sub: REVOKED }));
    const stays = await connect(url, await mintToken({ sub: STAYS }));
    const events: string[] = [];
    revoked.on('permission:revoked', (e) => events.push(`revoked:${e.reason}`));
    revoked.on('disconnect', (reason) => events.push(`disconnect:${reason}`));
    const pub = await startPublisher(keyPrefix);
    await pub.publishPermissionRevoked(GUILD, REVOKED, 'kicked');
    await waitFor(() => events.length === 2);
    expect(events).toEqual(['revoked:kicked', 'disconnect:io server disconnect']);
    expect(stays.connected).toBe(true);
  });

  it('wins over a join:guild whose authorize check was already running', async () => {
    const keyPrefix = uniquePrefix('revrace');
    let release: (() => void) | undefined;
    const { url } = await startNode({
      keyPrefix,
      gateway: {
        listGuilds: () => [],
        // A slow database read that answers with the state from before the revocation.
        authorize: () =>
          new Promise<boolean>((resolve) => {
            release = () => resolve(true);
          }),
      },
    });
    const socket = await connect(url, await mintToken({ sub: REVOKED }));
    const guildEvents = collect(socket, 'guild:reload');
    const pending = socket.emitWithAck('join:guild', GUILD);
    await waitFor(() => release !== undefined);
    const pub = await startPublisher(keyPrefix);
    const revoked = collect(socket, 'permission:revoked');
    await pub.publishPermissionRevoked(GUILD, REVOKED, 'removed');
    await waitFor(() => revoked.length === 1);
    release!(); // the stale "yes" arrives after the revocation
    expect(await pending).toEqual({ ok: false, error: 'forbidden' });
    await pub.publishGuildReload(GUILD);
    // Sentinel over the same bus, after it: a revocation of another guild reaches the user's room.
    await pub.publishPermissionRevoked(SENTINEL_GUILD, REVOKED, 'sentinel');
    await waitFor(() => revoked.length === 2);
    expect(guildEvents).toEqual([]);
  });

  it('wins over a handshake whose guild list was read before the revocation', async () => {
    const keyPrefix = uniquePrefix('revhs');
    let release: (() => void) | undefined;
    const node = await startNode({
      keyPrefix,
      gateway: {
        authorize: () => true,
        // A slow database read during the handshake that answers with the state from before.
        listGuilds: () =>
          new Promise<string[]>((resolve) => {
            release = () => resolve([GUILD, SENTINEL_GUILD]);
          }),
      },
    });
    const handled: string[] = [];
    node.sync.subscribe('permission:revoked', (e) => {
      handled.push(e.guildId); // runs after the gateway's own handler for the same event
    });
    const connecting = connect(node.url, await mintToken({ sub: REVOKED }));
    await waitFor(() => release !== undefined, { message: 'the handshake reading the guild list' });
    const pub = await startPublisher(keyPrefix);
    await pub.publishPermissionRevoked(GUILD, REVOKED, 'removed');
    await waitFor(() => handled.length === 1, { message: 'the gateway handling the revocation' });
    release!(); // the stale list arrives after the revocation
    const socket = await connecting;
    const guildEvents = collect(socket, 'guild:reload');
    await pub.publishGuildReload(GUILD, 'after');
    await pub.publishGuildReload(SENTINEL_GUILD, 'sentinel'); // still allowed: joined at connect
    await waitFor(() => guildEvents.length >= 1, { message: 'the sentinel guild:reload' });
    expect(guildEvents.map((e) => e.guildId)).toEqual([SENTINEL_GUILD]);
    expect(node.gateway.stats()).toMatchObject({ rooms: 1 });
  });
});
