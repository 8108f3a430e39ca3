import { sleep, waitFor } from '@wolaro/test-harness';
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
} from './helpers.js';

afterEach(cleanup);

const USERS = ['700000000000000001', '700000000000000002'];
const GUILD = '800000000000000001';

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
    await sleep(200); // a duplicate would arrive within this window
    for (const r of received) {
      expect(r).toHaveLength(N);
      expect(new Set(r).size).toBe(N);
    }
    // Each node counts only its own sockets.
    for (const node of nodes)
      expect(node.gateway.stats()).toEqual({ connectedUsers: 2, totalConnections: 2, rooms: 1 });
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
    await sleep(100);
    expect(otherSession.connected).toBe(true);
    expect(otherUserOnB.connected).toBe(true);
    await waitFor(
      () => a!.gateway.stats().totalConnections === 1 && b!.gateway.stats().totalConnections === 1,
    );

    b!.gateway.disconnectUser(USERS[0]!); // from node B: the socket on node A goes
    await waitFor(() => reasons.has(otherSession));
    await sleep(100);
    expect(otherUserOnB.connected).toBe(true);
    expect(() => a!.gateway.revokeSession('bad id')).toThrow(TypeError);
    expect(() => a!.gateway.disconnectUser('nope')).toThrow(TypeError);
  });
});
