import { type RedisClusterHandle, startRedisCluster, waitFor } from '@wolaro/test-harness';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PanelApiConfig } from '../src/config.js';
import { type PanelApi, startPanelApi } from '../src/server.js';
import { DEMO, startWorld } from './helpers.js';

const guild = DEMO.guildId;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Node A (the world's API) and node B: a second panel API on the same database, Redis and prefix. */
async function twoNodes(label: string, redis: Partial<PanelApiConfig> = {}) {
  const world = await startWorld({ label, config: redis });
  cleanups.push(() => world.close());
  const b = await startPanelApi({ ...world.api.config, port: 0 }, { logger: world.logger });
  cleanups.push(() => b.close());
  const sockets: Socket[] = [];
  cleanups.push(async () => {
    for (const s of sockets) s.disconnect();
  });
  const connect = (node: PanelApi, token: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(node.url, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  return { world, a: world.api, b, connect };
}

/**
 * Sentinel over the adapter: `node` broadcasts a guild:reload to every socket of every node and
 * this waits until each of `sockets` got it; whatever `node` sent over the adapter before (a
 * disconnect, an event) has been delivered by then.
 */
async function adapterSentinel(node: PanelApi, sockets: readonly Socket[], reason: string): Promise<void> {
  const got = new Set<Socket>();
  for (const s of sockets) {
    s.on('guild:reload', (e: { reason?: string }) => {
      if (e.reason === reason) got.add(s);
    });
  }
  node.io.emit('guild:reload', { guildId: guild, reason, timestamp: Date.now() });
  await waitFor(() => got.size === sockets.length, { message: `adapter sentinel ${reason} on every socket` });
}

/** PATCHes the guild's prefix through `node` and returns the new version. */
async function patch(node: PanelApi, token: string, prefix: string): Promise<number> {
  const call = async (method: string, body?: unknown) => {
    const res = await fetch(`${node.url}/api/panel/guilds/${guild}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { version: number };
  };
  const { version } = await call('GET');
  return (await call('PATCH', { settings: { prefix }, version })).version;
}

function suite(
  name: string,
  redis: () => Partial<PanelApiConfig>,
  setup?: { before(): Promise<void>; after(): Promise<void> },
) {
  describe(`two panel-api nodes with the Socket.io Redis adapter (${name})`, () => {
    if (setup) {
      beforeAll(setup.before, 60_000);
      afterAll(setup.after);
    }
    it('logout on node A disconnects the session’s sockets on node B, and only them', async () => {
      const { world, a, b, connect } = await twoNodes('panel_multi_logout', redis());
      const session = await world.tokenFor(DEMO.users.admin);
      const other = await world.tokenFor(DEMO.users.admin);
      const onA = await connect(a, session.token);
      const onB = await connect(b, session.token);
      const keptOnB = await connect(b, other.token);
      const reasons = new Map<Socket, string>();
      for (const s of [onA, onB, keptOnB]) s.on('disconnect', (r) => reasons.set(s, r));

      const res = await world.request('POST', '/api/auth/logout', { token: session.token });
      expect(res.status).toBeLessThan(300);
      await waitFor(() => reasons.has(onA) && reasons.has(onB), {
        message: 'both sockets of the session cut',
      });
      expect(reasons.get(onB)).toBe('io server disconnect');
      await adapterSentinel(a, [keptOnB], 'after-logout');
      expect(keptOnB.connected).toBe(true);
      expect(reasons.has(keptOnB)).toBe(false);
    });

    it('every config event reaches each socket on either node exactly once', async () => {
      const { world, a, b, connect } = await twoNodes('panel_multi_events', redis());
      const { token } = await world.tokenFor(DEMO.users.admin);
      const sockets = [
        await connect(a, token),
        await connect(a, token),
        await connect(b, token),
        await connect(b, token),
      ];
      const received = sockets.map(() => [] as number[]);
      for (const [i, s] of sockets.entries()) {
        s.on('config:updated', (e: { version: number }) => received[i]!.push(e.version));
      }
      const versions: number[] = [];
      for (let i = 0; i < 10; i++) versions.push(await patch(i % 2 === 0 ? a : b, token, `p${i}`));
      await waitFor(() => received.every((r) => r.length >= versions.length), { timeoutMs: 15_000 });
      // Sentinels: one more event on the bus (after every other on each node), then an adapter
      // broadcast from each node (after anything that node relayed to the other).
      const last = await patch(b, token, 'last');
      await waitFor(() => received.every((r) => r.includes(last)), { timeoutMs: 15_000 });
      await adapterSentinel(a, sockets, 'sentinel-a');
      await adapterSentinel(b, sockets, 'sentinel-b');
      for (const r of received) expect(r).toEqual([...versions, last]);
    });
  });
}

suite('one Redis', () => ({}));

let cluster: RedisClusterHandle | undefined;
suite(
  'Redis Cluster, sharded adapter',
  () => ({ redisUrl: undefined, redisClusterNodes: cluster?.nodesEnv.split(',') }),
  {
    before: async () => {
      cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    },
    after: async () => {
      await cluster?.stop();
    },
  },
);
