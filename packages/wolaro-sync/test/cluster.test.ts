import { startedForFile, startRedisCluster, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  cacheKeys,
  type GuildConfig,
  GuildConfigCache,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
} from '../src/index.js';
import { closeAfterEach } from './closing.js';
import { listening, transportContract } from './contract.js';

// One 3-master/3-replica cluster for the whole file.
const cluster = startedForFile(() => startRedisCluster({ masters: 3, replicasPerMaster: 1 }), 60_000);
const nodes = () => [...cluster().startupNodes];

transportContract({
  name: 'redis-cluster',
  create: () => new RedisTransport({ redis: { cluster: nodes() } }),
});

const track = closeAfterEach();

function rawCluster(): Cluster {
  const raw = new Cluster(nodes());
  raw.on('error', () => {});
  track({ close: () => raw.disconnect() });
  return raw;
}

describe('SyncClient over a Redis Cluster', () => {
  it('publishes with SPUBLISH on {wolaro}-tagged channels that all hash to one slot', async () => {
    const keyPrefix = uniquePrefix('cl');
    const sync = track(new SyncClient({ redis: { cluster: nodes() }, keyPrefix }));
    await sync.connect();
    const raw = rawCluster();
    const wire = Object.keys(sync.channels).map((c) => `{wolaro}${keyPrefix}${c}`);
    const slots = await Promise.all(wire.map((w) => raw.cluster('KEYSLOT', w)));
    expect(new Set(slots).size).toBe(1);
    // A plain SSUBSCRIBE on the owner of that slot hears what the client publishes.
    const owner = await cluster().masterOf('{wolaro}');
    const listener = new Cluster([{ host: '127.0.0.1', port: owner.port }], { shardedSubscribers: true });
    listener.on('error', () => {});
    track({ close: () => listener.disconnect() });
    const heard: string[] = [];
    listener.on('smessage', (channel: string) => heard.push(channel));
    await listener.ssubscribe(`{wolaro}${keyPrefix}guild:reload`);
    await sync.publishGuildReload({ guildId: '1' });
    await waitFor(() => heard.length === 1);
    expect(heard).toEqual([`{wolaro}${keyPrefix}guild:reload`]);
  });

  it('uses a Cluster you pass and leaves it open on close()', async () => {
    const keyPrefix = uniquePrefix('cl');
    const shared = new Cluster(nodes(), { lazyConnect: true });
    shared.on('error', () => {});
    track({ close: () => shared.disconnect() });
    const a = new SyncClient({ redis: shared, keyPrefix });
    const b = track(new SyncClient({ redis: { cluster: nodes() }, keyPrefix }));
    await Promise.all([a.connect(), b.connect()]);
    const got: number[] = [];
    b.subscribe('config:update', (e) => void got.push(e.version ?? 0));
    await a.publishConfigUpdate({ guildId: '1', settings: {}, version: 3 });
    await waitFor(() => got.length === 1);
    await a.close();
    expect(await shared.ping()).toBe('PONG');
  });

  it('refuses a cluster definition without startup nodes, naming the field', () => {
    expect(() => new RedisTransport({ redis: { cluster: [] } })).toThrow(
      /redis\.cluster: must list at least one/,
    );
    expect(() => new RedisTransport({ redis: { cluster: ['nope'] } })).toThrow(/redis\.cluster\.0/);
    expect(() => new RedisTransport({ redis: { cluster: nodes() }, channelHashTag: '{x}' })).toThrow(
      /channelHashTag: must be 1-64 characters/,
    );
  });

  it('follows its slot when it migrates to another master: resubscribes there and emits resync', async () => {
    const keyPrefix = uniquePrefix('cl');
    const tag = `mig-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    const transport = () => new RedisTransport({ redis: { cluster: nodes() }, channelHashTag: tag });
    const a = track(new SyncClient({ transport: transport(), keyPrefix }));
    const b = track(new SyncClient({ transport: transport(), keyPrefix }));
    await Promise.all([a.connect(), b.connect()]);
    const { got, resyncs } = await listening(a, b);

    const from = await cluster().masterOf(`{${tag}}`);
    const to = (await cluster().masters()).find((m) => m !== from)!;
    await cluster().migrateSlot(`{${tag}}`, to);
    await waitFor(() => resyncs.length === 1, { timeoutMs: 10_000, message: 'resync after the migration' });

    // Published after the move, through the other client's own view of the slot map.
    await waitFor(
      async () => {
        await a.publishConfigUpdate({ guildId: '1', settings: {}, version: got.length + 1 }).catch(() => {});
        return got.includes(2);
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(got.slice(0, 2)).toEqual([1, 2]);
  }, 30_000);
});

describe('caches over a Redis Cluster', () => {
  it('RedisFallbackManager: get/set, versioned writes (Lua) and a multi-key del across slots', async () => {
    const keyPrefix = uniquePrefix('clc');
    const cache = track(
      new RedisFallbackManager({ redis: { cluster: nodes() }, keyPrefix, commandTimeoutMs: 1000 }),
    );
    await cache.ready();
    expect(cache.isRedisAvailable).toBe(true);
    const keys = ['1', '2', '3', '4', '5', '6'].map((id) => cacheKeys.guildConfig(`10000000000000000${id}`));
    const raw = rawCluster();
    const slots = new Set(await Promise.all(keys.map((k) => raw.cluster('KEYSLOT', keyPrefix + k))));
    expect(slots.size).toBeGreaterThan(1); // the keys are spread: del must not send one cross-slot DEL
    for (const key of keys) await cache.setJSON(key, { key }, { version: 2 });
    expect(await cache.getJSON(keys[0]!)).toEqual({ key: keys[0] });
    expect(await cache.setJSON(keys[0]!, { stale: true }, { version: 1 })).toBe(false);
    expect(await cache.setJSON(keys[0]!, { fresh: true }, { version: 3 })).toBe(true);
    expect(await cache.getJSON(keys[0]!)).toEqual({ fresh: true });
    await cache.del(...keys);
    for (const key of keys) expect(await raw.get(keyPrefix + key)).toBeNull();
    expect(cache.isRedisAvailable).toBe(true);
    expect(cache.stats().memoryCacheSize).toBe(0);
  });

  it('GuildConfigCache: a config:update over the cluster bus reloads the guild, L2 on the cluster', async () => {
    const keyPrefix = uniquePrefix('clg');
    const G = '123456789012345678';
    const rows = new Map<string, GuildConfig>([[G, { settings: { prefix: '!' }, modules: {}, version: 1 }]]);
    const sync = track(new SyncClient({ redis: { cluster: nodes() }, keyPrefix }));
    const publisher = track(new SyncClient({ redis: { cluster: nodes() }, keyPrefix, listen: false }));
    const cache = track(
      new RedisFallbackManager({ redis: { cluster: nodes() }, keyPrefix, commandTimeoutMs: 1000 }),
    );
    await Promise.all([sync.connect(), publisher.connect()]);
    const configs = new GuildConfigCache({
      sync,
      cache,
      load: async (id) => structuredClone(rows.get(id) ?? null),
      loadVersions: async (ids) =>
        new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!.version] as const] : []))),
    });
    await configs.start();
    track({ close: () => configs.stop() });
    expect((await configs.get(G))?.settings).toEqual({ prefix: '!' });
    const l2 = await rawCluster().get(keyPrefix + cacheKeys.guildConfig(G));
    expect(l2).toContain('"prefix":"!"');
    rows.set(G, { settings: { prefix: '?' }, modules: {}, version: 2 });
    await publisher.publishConfigUpdate({ guildId: G, settings: { prefix: '?' }, version: 2 });
    await waitFor(async () => (await configs.get(G))?.version === 2);
    expect((await configs.get(G))?.settings).toEqual({ prefix: '?' });
  });
});
