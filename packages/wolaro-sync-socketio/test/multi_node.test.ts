import { waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Acl,
  type ClientSocket,
  cleanup,
  clusterPrefix,
  connect,
  mintToken,
  startNode,
  startPublisher,
  type TestNode,
} from './helpers.js';

afterEach(cleanup);

const USERS = ['700000000000000001', '700000000000000002'];
const GUILD = '800000000000000001';

/**
 * Sentinel over the adapter: `node` broadcasts a guild:reload to every socket of the cluster and
 * this waits until each of `clients` got it. Whatever `node` sent over the adapter before (an
 * event, a disconnect) has reached the clients by then.
 */
async function adapterSentinel(node: TestNode, clients: readonly ClientSocket[], reason: string) {
  const got = new Set<ClientSocket>();
  for (const c of clients) {
    c.on('guild:reload', (e) => {
      if (e.reason === reason) got.add(c);
    });
  }
  node.io.emit('guild:reload', { guildId: GUILD, reason, timestamp: Date.now() });
  await waitFor(() => got.size === clients.length, { message: `sentinel ${reason} on every client` });
}

describe('multi-node (redis adapter)', () => {
  it('delivers each of 1,000 events exactly once to every client, whichever node it is on', async () => {
    const cluster = clusterPrefix();
    const acl = new Acl().allow(USERS[0]!, GUILD).allow(USERS[1]!, GUILD);
    const nodes = [await startNode({ ...cluster, acl }), await startNode({ ...cluster, acl })];
    const clients: ClientSocket[] = [];
    for (const node of nodes) {
      for (const user of USERS) clients.push(await connect(node.url, await mintToken({ sub: user })));
    }
    const received = clients.map(() => [] as number[]);
    clients.forEach((c, i) => {
      c.on('config:updated', (e) => received[i]!.push(e.version!));
    });
    const pub = await startPublisher(cluster.keyPrefix);
    const N = 1000;
    await Promise.all(Array.from({ length: N }, (_, i) => pub.publishConfigUpdate(GUILD, { n: i }, i + 1)));
    await waitFor(() => received.every((r) => r.length >= N), { timeoutMs: 15_000 });
    // Sentinels: one more bus event (after every other one on each node), then one adapter
    // broadcast from each node (after anything that node relayed to the other).
    await pub.publishConfigUpdate(GUILD, { n: N }, N + 1);
    await waitFor(() => received.every((r) => r.includes(N + 1)), { timeoutMs: 15_000 });
    for (const [i, node] of nodes.entries()) await adapterSentinel(node, clients, `sentinel-${i}`);
    for (const [i, r] of received.entries()) received[i] = r.filter((v) => v !== N + 1);
    for (const r of received) {
      expect(r).toHaveLength(N);
      expect(new Set(r).size).toBe(N);
    }
    // Each node counts only its own sockets.
    for (const node of nodes)
      expect(node.gateway.stats()).toMatchObject({ connectedUsers: 2, totalConnections: 2, rooms: 1 });
  });

  it('revokeSession and disconnectUser cut sockets on every node', async () => {
    const cluster = clusterPrefix();
    const acl = new Acl().allow(USERS[0]!, GUILD).allow(USERS[1]!, GUILD);
    const [a, b] = [await startNode({ ...cluster, acl }), await startNode({ ...cluster, acl })];
    const sessionToken = await mintToken({ sub: USERS[0]!, sid: 'sess-revoked' });
    const revokedOnA = await connect(a!.url, sessionToken);
    const revokedOnB = await connect(b!.url, sessionToken);
    const otherSession = await connect(a!.url, await mintToken({ sub: USERS[0]!, sid: 'sess-kept' }));
    const otherUserOnB = await connect(b!.url, await mintToken({ sub: USERS[1]!, sid: 'sess-u2' }));
    const reasons = new Map<ClientSocket, string>();
    for (const c of [revokedOnA, revokedOnB, otherSession, otherUserOnB])
      c.on('disconnect', (r) => reasons.set(c, r));

    a!.gateway.revokeSession('sess-revoked'); // called on node A, reaches node B through Redis
    await waitFor(() => reasons.has(revokedOnA) && reasons.has(revokedOnB));
    expect(reasons.get(revokedOnB)).toBe('io server disconnect');
    await adapterSentinel(a!, [otherSession, otherUserOnB], 'after-revoke');
    expect(otherSession.connected).toBe(true);
    expect(otherUserOnB.connected).toBe(true);
    await waitFor(
      () => a!.gateway.stats().totalConnections === 1 && b!.gateway.stats().totalConnections === 1,
    );

    b!.gateway.disconnectUser(USERS[0]!); // from node B: the socket on node A goes
    await waitFor(() => reasons.has(otherSession));
    await adapterSentinel(b!, [otherUserOnB], 'after-disconnect-user');
    expect(otherUserOnB.connected).toBe(true);
    expect(() => a!.gateway.revokeSession('bad id')).toThrow(TypeError);
    expect(() => a!.gateway.disconnectUser('nope')).toThrow(TypeError);
  });
});
