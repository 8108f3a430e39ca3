import { uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import {
  cacheKeys,
  type GuildConfig,
  GuildConfigCache,
  RedisFallbackManager,
  SyncClient,
} from '../../src/index.js';
import { closeAfterEach } from '../closing.js';
import { clusterForFile } from '../cluster_fixture.js';

// The caches over a Redis Cluster: keys spread over the masters' slots, the CAS script, a DEL of
// several keys (one per key: a multi-key DEL across slots is refused), and GuildConfigCache on the
// cluster bus. One 3-master cluster (no replicas: nothing here fails over) for the whole file.
const track = closeAfterEach();
const { nodes, rawCluster } = clusterForFile({ masters: 3, replicasPerMaster: 0 }, track);

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

  it('RedisFallbackManager on a given Cluster that is ready: ready() opens every master connection first', async () => {
    const raw = rawCluster();
    await new Promise<void>((resolve) => raw.once('ready', () => resolve()));
    const cache = track(new RedisFallbackManager({ redis: raw, keyPrefix: uniquePrefix('clr') }));
    await cache.ready();
    expect(raw.nodes('master').map((node) => node.status)).toEqual(['ready', 'ready', 'ready']);
    expect(cache.isRedisAvailable).toBe(true);
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
