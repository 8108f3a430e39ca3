import { captureLogger, redisUrl, sleep, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  cacheKeys,
  defineChannels,
  type GuildConfig,
  GuildConfigCache,
  type GuildConfigCacheOptions,
  InvalidKeyError,
  MemoryBus,
  MemoryTransport,
  RedisFallbackManager,
  SyncClient,
} from '../../src/index.js';
import { defer, manager, rawRedis, useCleanup } from './helpers.js';

useCleanup();

const G = '111111111111111111';
const H = '222222222222222222';
const K = '333333333333333333';

function config(version: number, prefix = `p${version}`): GuildConfig {
  return { settings: { prefix }, modules: { moderation: { enabled: version % 2 === 0 } }, version };
}

/** A "database" of configs and a counting loader over it, with an optional gate to make loads slow. */
function fakeDb() {
  const rows = new Map<string, GuildConfig>();
  const loads: string[] = [];
  let gate: Promise<void> | undefined;
  return {
    rows,
    loads,
    /** Loads read the row at once but return only when the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    load: async (guildId: string): Promise<GuildConfig | null> => {
      loads.push(guildId);
      const row = rows.get(guildId);
      const copy = row ? structuredClone(row) : null;
      if (gate) await gate;
      return copy;
    },
    versionQueries: [] as string[][],
  };
}

async function setup(
  options: Partial<GuildConfigCacheOptions> & { keyPrefix?: string; bus?: MemoryBus } = {},
) {
  const bus = options.bus ?? new MemoryBus();
  const sync = new SyncClient({ transport: new MemoryTransport({ bus }) });
  await sync.connect();
  defer(() => sync.close());
  const keyPrefix = options.keyPrefix ?? uniquePrefix('gcc');
  const cache = options.cache ?? (await manager({ redis: redisUrl(), keyPrefix }));
  const db = fakeDb();
  const configs = new GuildConfigCache({
    sync,
    cache,
    load: db.load,
    loadVersions: async (ids) => {
      db.versionQueries.push([...ids]);
      return new Map(ids.flatMap((id) => (db.rows.has(id) ? [[id, db.rows.get(id)!.version] as const] : [])));
    },
    ...options,
  });
  await configs.start();
  defer(() => configs.stop());
  return { sync, cache, db, configs, keyPrefix, bus };
}

/** Starts a process that loads G at `version` and writes it to L2, then a second one on the same prefix. */
async function afterAnotherProcessCached(version: number) {
  const a = await setup();
  a.db.rows.set(G, config(version));
  await a.configs.get(G);
  await waitFor(async () => (await a.cache.getEntry(cacheKeys.guildConfig(G)))?.version === version);
  return setup({ keyPrefix: a.keyPrefix });
}

/** A GuildConfigCache without L2 over `sync`, its fake database holding G at version 1. */
async function withoutL2(sync: GuildConfigCacheOptions['sync'] & Pick<SyncClient, 'connect' | 'close'>) {
  await sync.connect();
  defer(() => sync.close());
  const db = fakeDb();
  db.rows.set(G, config(1));
  const configs = new GuildConfigCache({ sync, load: db.load });
  await configs.start();
  defer(() => configs.stop());
  return { configs, db };
}

describe('GuildConfigCache reads', () => {
  it('loads once, then serves L1 hits (same frozen object, no L2 or DB access)', async () => {
    const { cache, db, configs } = await setup();
    db.rows.set(G, config(3));
    const first = await configs.get(G);
    expect(first).toEqual(config(3));
    const l2Reads = cache.stats().hits + cache.stats().misses;
    for (let i = 0; i < 100; i++) expect(await configs.get(G)).toBe(first);
    expect(configs.peek(G)).toBe(first);
    expect(db.loads).toEqual([G]);
    expect(cache.stats().hits + cache.stats().misses).toBe(l2Reads);
    expect(Object.isFrozen(first) && Object.isFrozen(first?.settings)).toBe(true);
    expect(configs.stats()).toMatchObject({ size: 1, hits: 100, misses: 1, loads: 1 });
  });

  it('a second process finds the config in L2 and confirms its version instead of loading', async () => {
    const b = await afterAnotherProcessCached(4);
    b.db.rows.set(G, config(4));
    expect(await b.configs.get(G)).toEqual(config(4));
    expect(b.db.loads).toEqual([]);
    expect(b.db.versionQueries).toEqual([[G]]);
    expect(b.configs.stats().l2Hits).toBe(1);
  });

  it('a process started after a change it missed does not serve the older L2 entry', async () => {
    // The change to version 5 happened while no process listened: its event is gone.
    const b = await afterAnotherProcessCached(4);
    b.db.rows.set(G, config(5));
    expect(await b.configs.get(G)).toEqual(config(5));
    expect(b.db.loads).toEqual([G]);
  });

  it('peek never loads; get of an unknown guild is null and not cached', async () => {
    const { db, configs } = await setup();
    expect(configs.peek(G)).toBeUndefined();
    expect(db.loads).toEqual([]);
    expect(await configs.get(H)).toBeNull();
    expect(await configs.get(H)).toBeNull();
    expect(db.loads).toEqual([H, H]);
  });

  it('1,000 concurrent gets of a cold guild call load once', async () => {
    const { db, configs } = await setup();
    db.rows.set(G, config(1));
    const release = db.hold();
    const all = Array.from({ length: 1000 }, () => configs.get(G));
    await sleep(20);
    release();
    const results = await Promise.all(all);
    expect(db.loads).toEqual([G]);
    expect(new Set(results).size).toBe(1);
  });

  it('refuses malformed guild ids with InvalidKeyError', async () => {
    const { db, configs } = await setup();
    await expect(configs.get('abc')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(configs.get('1'.repeat(21))).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(configs.get('1:guild:config:2')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(() => configs.peek('abc')).toThrow(InvalidKeyError);
    await expect(configs.invalidate('*')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(db.loads).toEqual([]);
  });

  it('a corrupted L2 value (not JSON, or not a config) is treated as a miss and reloaded, never thrown', async () => {
    const { db, configs, keyPrefix } = await setup();
    const raw = rawRedis();
    db.rows.set(G, config(2));
    db.rows.set(H, config(5));
    await raw.set(`${keyPrefix}${cacheKeys.guildConfig(G)}`, '{"settings": nope');
    await raw.set(`${keyPrefix}${cacheKeys.guildConfig(H)}`, '{"settings": 1, "version": 9}');
    expect(await configs.get(G)).toEqual(config(2));
    expect(await configs.get(H)).toEqual(config(5));
    expect(db.loads).toEqual([G, H]);
    await waitFor(async () =>
      (await raw.get(`${keyPrefix}${cacheKeys.guildConfig(G)}`))?.endsWith('"version":2}'),
    );
  });

  it('works with a SyncClient that has custom channels (types and runtime)', async () => {
    const channels = defineChannels({
      'ticket:created': { schema: z.object({ guildId: z.string(), ticketId: z.string() }) },
    });
    const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }), channels });
    const { configs, db } = await withoutL2(sync);
    const cfg: Readonly<GuildConfig> | null = await configs.get(G);
    expect(cfg?.version).toBe(1);
    db.rows.set(G, config(2));
    await sync.publishConfigUpdate(G, {}, 2);
    await waitFor(() => configs.peek(G)?.version === 2);
  });

  it('works without an L2', async () => {
    const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
    const { configs, db } = await withoutL2(sync);
    expect(await configs.get(G)).toEqual(config(1));
    db.rows.set(G, config(2));
    await sync.publishConfigUpdate(G, {}, 2);
    await waitFor(() => configs.peek(G)?.version === 2);
  });
});

describe('GuildConfigCache events and the version floor', () => {
  it('a newer event drops L1 and L2 and reloads; duplicates and older events are ignored', async () => {
    const { sync, db, configs, cache } = await setup();
    db.rows.set(G, config(3));
    await configs.get(G);
    const updated: [string, number][] = [];
    configs.on('updated', (id, cfg) => updated.push([id, cfg.version]));
    db.rows.set(G, config(4));
    await sync.publishConfigUpdate(G, { prefix: 'p4' }, 4);
    await waitFor(() => updated.length === 1);
    expect(updated).toEqual([[G, 4]]);
    expect(configs.peek(G)).toEqual(config(4));
    await waitFor(async () => (await cache.getEntry(cacheKeys.guildConfig(G)))?.version === 4);
    const loads = db.loads.length;
    await sync.publishConfigUpdate(G, { prefix: 'p4' }, 4); // duplicate
    await sync.publishConfigUpdate(G, { prefix: 'p2' }, 2); // late, older
    await sync.publishModuleToggle(G, 'moderation', true, 3);
    // The three events are handled (and ignored) when they arrive; a reload would start right then.
    await waitFor(() => configs.stats().eventsIgnored === 3, { message: 'three ignored events' });
    expect(db.loads.length).toBe(loads);
    expect(updated).toEqual([[G, 4]]);
    expect(configs.stats().eventsIgnored).toBe(3);
    expect(configs.floor(G)).toBe(4);
  });

  it('a reload whose own tombstone is all L2 holds goes to the database without reading L2, and stores the new version there', async () => {
    const { sync, db, configs, cache } = await setup();
    db.rows.set(G, config(3));
    await configs.get(G);
    await waitFor(async () => (await cache.getEntry(cacheKeys.guildConfig(G)))?.version === 3);
    const l2Reads = () => cache.stats().hits + cache.stats().misses;
    const reads = l2Reads();
    db.rows.set(G, config(4));
    await sync.publishConfigUpdate(G, { prefix: 'p4' }, 4);
    await waitFor(() => configs.peek(G)?.version === 4);
    expect(l2Reads()).toBe(reads);
    expect(db.loads).toEqual([G, G]);
    await waitFor(async () => (await cache.getEntry(cacheKeys.guildConfig(G)))?.version === 4);
    expect(configs.stats()).toMatchObject({ l2Hits: 0, loads: 2 });
  });

  it('a reload uses the value its tombstone kept when another process (the writer) stored the announced version first', async () => {
    const b = await afterAnotherProcessCached(3);
    b.db.rows.set(G, config(3));
    expect((await b.configs.get(G))?.version).toBe(3);
    const loads = b.db.loads.length;
    const reads: string[] = [];
    const read = b.cache.getJSONEntry.bind(b.cache);
    b.cache.getJSONEntry = (key) => {
      reads.push(key);
      return read(key);
    };
    // Another process got version 4 first and stored it: the tombstone for 4 keeps it, and answers with it.
    await b.cache.setJSON(cacheKeys.guildConfig(G), config(4), { version: 4 });
    b.db.rows.set(G, config(4, 'not read'));
    await b.sync.publishConfigUpdate(G, { prefix: 'p4' }, 4);
    await waitFor(() => b.configs.peek(G)?.version === 4);
    expect(b.configs.peek(G)).toEqual(config(4));
    expect(b.db.loads.length).toBe(loads);
    expect(reads, 'L2 read again after the tombstone answered').toEqual([]);
    expect(b.configs.stats().l2Hits).toBe(2);
  });

  it('unversioned events and guild:reload always reload from the database', async () => {
    const { sync, db, configs } = await setup();
    db.rows.set(G, config(3));
    await configs.get(G);
    db.rows.set(G, config(3, 'manual-fix')); // fixed in the DB by hand, same version
    await sync.publish('config:update', { guildId: G, settings: { prefix: 'manual-fix' } });
    await waitFor(() => configs.peek(G)?.settings['prefix'] === 'manual-fix');
    db.rows.set(G, config(3, 'again'));
    await sync.publishGuildReload(G, 'manual sync');
    await waitFor(() => configs.peek(G)?.settings['prefix'] === 'again');
    expect(db.loads).toEqual([G, G, G]);
  });

  it('a slow load that read an older version before the event is discarded and reloaded', async () => {
    const { sync, db, configs } = await setup();
    db.rows.set(G, config(1));
    const release = db.hold();
    const pending = configs.get(G); // reads version 1, then waits
    await waitFor(() => db.loads.length === 1);
    db.rows.set(G, config(2));
    await sync.publishConfigUpdate(G, { prefix: 'p2' }, 2);
    await waitFor(() => configs.floor(G) === 2);
    release();
    expect((await pending)?.version).toBe(2);
    expect(configs.peek(G)?.version).toBe(2);
    expect(configs.stats().staleDiscarded).toBe(1);
  });

  it('an L2 value older than the floor is never used', async () => {
    const { sync, db, configs, keyPrefix } = await setup();
    db.rows.set(G, config(7));
    await sync.publishConfigUpdate(G, { prefix: 'p7' }, 7); // guild not cached here: only the floor moves
    await waitFor(() => configs.floor(G) === 7);
    // Some foreign writer puts an old config into L2 (plain SET, bypassing the tombstone).
    await rawRedis().set(`${keyPrefix}${cacheKeys.guildConfig(G)}`, JSON.stringify(config(5)));
    expect((await configs.get(G))?.version).toBe(7);
    expect(db.loads).toEqual([G]);
  });

  it('serves the database row and warns once when the database keeps answering older than an announced version', async () => {
    const logger = captureLogger();
    const { sync, db, configs } = await setup({ maxStaleLoads: 2, logger });
    db.rows.set(G, config(1));
    await sync.publishConfigUpdate(G, {}, 5); // a forged event, or a replica far behind
    await waitFor(() => configs.floor(G) === 5);
    const got = await configs.get(G);
    expect(got?.version, 'the database row (the truth) must be served, not an error').toBe(1);
    expect(configs.floor(G), 'the floor drops to what the database confirmed').toBe(1);
    expect(db.loads.length, 'the database is asked again before the announcement is doubted').toBe(3);
    expect(logger.count(/Suspect event for guild 111111111111111111: it announced version 5/, 'warn')).toBe(
      1,
    );
    // A real newer version still wins afterwards.
    db.rows.set(G, config(2));
    await sync.publishConfigUpdate(G, {}, 2);
    await waitFor(() => configs.peek(G)?.version === 2);
    expect(logger.count(/Suspect event/, 'warn')).toBe(1);
  });
});

describe('GuildConfigCache resync', () => {
  it('one loadVersions query, then only changed guilds reload; deleted guilds are dropped', async () => {
    const { sync, db, configs } = await setup();
    for (const id of [G, H, K]) db.rows.set(id, config(1));
    await Promise.all([G, H, K].map((id) => configs.get(id)));
    db.rows.set(H, config(2)); // changed while events were lost
    db.rows.delete(K);
    const updated: string[] = [];
    configs.on('updated', (id) => updated.push(id));
    const loads = db.loads.length;
    sync.emit('resync', { transport: 'memory', downtimeMs: 1000 });
    await waitFor(() => updated.length === 1);
    expect(db.versionQueries).toHaveLength(1);
    expect([...db.versionQueries[0]!].sort()).toEqual([G, H, K].sort());
    expect(db.loads.length - loads).toBe(1);
    expect(updated).toEqual([H]);
    expect(configs.peek(H)?.version).toBe(2);
    expect(configs.peek(G)?.version).toBe(1);
    expect(configs.peek(K)).toBeUndefined();
  });

  it('without loadVersions every cached guild is reloaded', async () => {
    const { sync, db, configs } = await setup({ loadVersions: undefined as never });
    for (const id of [G, H]) db.rows.set(id, config(1));
    await Promise.all([G, H].map((id) => configs.get(id)));
    db.rows.set(G, config(2));
    sync.emit('resync', { transport: 'memory', downtimeMs: 10 });
    await waitFor(() => db.loads.length === 4);
    await waitFor(() => configs.peek(G)?.version === 2);
    expect(configs.peek(H)?.version).toBe(1);
  });

  it('after a resync, an L2 entry written before it is checked against the database', async () => {
    const b = await afterAnotherProcessCached(1);
    b.db.rows.set(G, config(2)); // changed while the bus was down: the event was lost
    b.sync.emit('resync', { transport: 'memory', downtimeMs: 500 });
    await sleep(10);
    expect((await b.configs.get(G))?.version).toBe(2);
    expect(b.db.loads).toEqual([G]);
  });
});

describe('GuildConfigCache with the L2 down', () => {
  it('keeps serving: L1 hits, and misses load from the database', async () => {
    const cache = new RedisFallbackManager({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 50 });
    defer(() => cache.close());
    await cache.ready();
    const { db, configs } = await setup({ cache });
    db.rows.set(G, config(1));
    expect(await configs.get(G)).toEqual(config(1));
    expect(await configs.get(G)).toEqual(config(1));
    expect(db.loads).toEqual([G]);
    expect(cache.isRedisAvailable).toBe(false);
  });
});
