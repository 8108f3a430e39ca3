import { captureLogger } from '@wolaro/test-harness';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RedisFallbackManager } from '../../src/cache/fallback.js';
import type { CacheEntry } from '../../src/cache/fallback_options.js';
import type { GuildConfig } from '../../src/cache/guild_config.js';
import { GuildConfigStore } from '../../src/cache/guild_config_store.js';
import { cacheKeys } from '../../src/keys/cache_keys.js';

// Deterministic unit tests of GuildConfigStore (fills, floors, tombstones, suspect L2 entries,
// in-flight loads). L2 is a plain in-memory stand-in for Redis, as in guild_config_floor.test.ts:
// the store only reads, writes, deletes and invalidates through it.

const GUILD = '223456789012345678';
const OTHER = '323456789012345678';
const keyOf = (guildId: string) => cacheKeys.guildConfig(guildId);

function config(version: number, prefix = `v${version}`): GuildConfig {
  return {
    settings: { prefix, nothing: null, list: ['a', 'b'] },
    modules: { m: { enabled: true } },
    version,
  };
}

interface FakeL2 {
  entries: Map<string, CacheEntry<unknown>>;
  reads: string[];
  /** Keys whose tombstone found a newer entry and answered with it. */
  kept: string[];
  writes: { key: string; version: number | undefined }[];
  dels: string[];
  /** Result of `invalidate` (the tombstone's compare-and-set); `'reject'` makes it fail. */
  invalidateResult: boolean | 'reject';
  failDel: boolean;
  failSet: boolean;
  failGet: boolean;
  /** What a read of a key not in `entries` returns (`null` unless set). */
  defaultEntry: CacheEntry<unknown> | null;
  manager: RedisFallbackManager;
}

function fakeL2(): FakeL2 {
  const l2: FakeL2 = {
    entries: new Map(),
    reads: [],
    kept: [],
    writes: [],
    dels: [],
    invalidateResult: true,
    failDel: false,
    failSet: false,
    failGet: false,
    defaultEntry: null,
    manager: undefined as unknown as RedisFallbackManager,
  };
  l2.manager = {
    async getJSONEntry(key: string) {
      l2.reads.push(key);
      if (l2.failGet) throw new Error('l2 get down');
      return l2.entries.get(key) ?? l2.defaultEntry;
    },
    async setJSON(key: string, value: GuildConfig, options: { version?: number }) {
      l2.writes.push({ key, version: options.version });
      if (l2.failSet) throw new Error('l2 set down');
      l2.entries.set(key, { value, version: options.version, writtenAt: Date.now() });
    },
    async del(key: string) {
      l2.dels.push(key);
      if (l2.failDel) throw new Error('l2 del down');
      l2.entries.delete(key);
    },
    async invalidate() {
      if (l2.invalidateResult === 'reject') throw new Error('l2 invalidate down');
      return l2.invalidateResult;
    },
    // The same compare-and-set, answering with what it kept (as the JSON string Redis holds).
    async invalidateOrGet(key: string) {
      if (l2.invalidateResult === 'reject') throw new Error('l2 invalidate down');
      if (l2.invalidateResult) return { written: true };
      l2.kept.push(key);
      const kept = l2.entries.get(key) ?? l2.defaultEntry;
      return {
        written: false,
        entry: kept && {
          value: JSON.stringify(kept.value),
          version: kept.version,
          writtenAt: kept.writtenAt,
        },
      };
    },
  } as unknown as RedisFallbackManager;
  return l2;
}

type Loader = (guildId: string, call: number) => Promise<GuildConfig | null> | GuildConfig | null;

function makeStore(opts: {
  l2?: FakeL2 | null;
  load: Loader;
  loadVersions?: (ids: readonly string[]) => Promise<ReadonlyMap<string, number>>;
  l1Max?: number;
  l1TtlMs?: number;
  l2TtlSeconds?: number;
  maxStaleLoads?: number;
}) {
  const logger = captureLogger();
  const loadCalls: string[] = [];
  const s = new GuildConfigStore({
    cache: opts.l2 === null ? undefined : (opts.l2 ?? fakeL2()).manager,
    load: async (guildId) => {
      loadCalls.push(guildId);
      if (loadCalls.length > 120) throw new Error('load called far more often than the test expects');
      return opts.load(guildId, loadCalls.length);
    },
    loadVersions: opts.loadVersions,
    logger,
    l1Max: opts.l1Max ?? 100,
    l1TtlMs: opts.l1TtlMs ?? 60_000,
    l2TtlSeconds: opts.l2TtlSeconds ?? 60,
    maxStaleLoads: opts.maxStaleLoads ?? 2,
  });
  return { store: s, logger, loadCalls };
}

/** A promise with its resolve exposed. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets pending promise callbacks (the fake L2's and the store's) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('GuildConfigStore in-flight loads', () => {
  it('invalidate() during a load makes the fill load again instead of serving the older answer', async () => {
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(2)),
    });
    const got = s.fetch(GUILD, false);
    await settle();
    expect(loadCalls).toHaveLength(1);
    await s.invalidate(GUILD);
    first.resolve(config(1));
    expect((await got)?.version, 'a load that started before invalidate() was served').toBe(2);
    expect(loadCalls).toHaveLength(2);
  });

  it('dropUnversioned() during a load reloads, reports the guild as loading, and deletes L2', async () => {
    const l2 = fakeL2();
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2,
      load: (_g, call) => (call === 1 ? first.promise : config(2)),
    });
    const got = s.fetch(GUILD, true);
    await settle();
    expect(s.dropUnversioned(GUILD), 'a guild being loaded must be reported for reload').toBe(true);
    expect(l2.dels).toContain(keyOf(GUILD));
    first.resolve(config(1));
    expect((await got)?.version, 'a load that started before the unversioned change was served').toBe(2);
    expect(loadCalls).toHaveLength(2);
  });

  it('dropUnversioned() of a guild neither cached nor loading returns false; cached returns true', async () => {
    const { store: s } = makeStore({ l2: null, load: () => config(1) });
    expect(s.dropUnversioned(GUILD)).toBe(false);
    await s.fetch(GUILD, false);
    expect(s.dropUnversioned(GUILD)).toBe(true);
    expect(s.l1.get(GUILD)).toBeUndefined();
  });

  it('works without an L2: invalidate, dropUnversioned, forget, fetch and a suspect load never touch it', async () => {
    const { store: s, logger } = makeStore({ l2: null, load: () => config(2), maxStaleLoads: 1 });
    await s.invalidate(GUILD);
    expect(s.dropUnversioned(GUILD)).toBe(false);
    s.forget(GUILD);
    expect((await s.fetch(GUILD, false))?.version).toBe(2);
    s.raiseFloor(GUILD, 9);
    expect((await s.fetch(GUILD, false))?.version).toBe(2);
    expect(logger.has('L2 read failed')).toBe(false);
  });

  it('logs an L2 delete failure of dropUnversioned() with the guild id', async () => {
    const l2 = fakeL2();
    l2.failDel = true;
    const { store: s, logger } = makeStore({ l2, load: () => config(1) });
    s.dropUnversioned(GUILD);
    await settle();
    const entry = logger.entries.find((e) => e.msg === 'Guild config L2 invalidation failed');
    expect(entry?.level).toBe('warn');
    expect(entry?.obj).toMatchObject({ guildId: GUILD });
    expect(entry?.obj?.['err']).toBeInstanceOf(Error);
  });

  it('distrustL2() during a load makes the fill load again', async () => {
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(2)),
    });
    const got = s.fetch(GUILD, false);
    await settle();
    s.distrustL2();
    first.resolve(config(1));
    expect((await got)?.version).toBe(2);
    expect(loadCalls).toHaveLength(2);
  });

  it('a skipL2 fetch joining a fill in progress makes it load again', async () => {
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(2)),
    });
    const a = s.fetch(GUILD, false);
    await settle();
    const b = s.fetch(GUILD, true);
    first.resolve(config(1));
    expect((await a)?.version).toBe(2);
    expect((await b)?.version).toBe(2);
    expect(loadCalls).toHaveLength(2);
  });

  it('a skipL2 fetch does not read L2 at all, a normal one reads it once', async () => {
    const l2 = fakeL2();
    l2.entries.set(keyOf(GUILD), { value: config(5), version: 5, writtenAt: Date.now() });
    const { store: s, loadCalls } = makeStore({ l2, load: () => config(6) });
    expect((await s.fetch(GUILD, true))?.version).toBe(6);
    expect(l2.reads).toEqual([]);
    expect(loadCalls).toHaveLength(1);
  });

  it('reads L2 only in the first round, even when loads must be repeated', async () => {
    const l2 = fakeL2();
    l2.entries.set(keyOf(GUILD), { value: config(1), version: 1, writtenAt: Date.now() });
    const { store: s } = makeStore({ l2, load: (_g, call) => config(call + 1) });
    s.raiseFloor(GUILD, 3);
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(l2.reads, 'L2 was read again in a later round').toHaveLength(1);
    expect(s.stats).toMatchObject({ l2Hits: 0, loads: 2, staleDiscarded: 2 });
  });

  it('a fill invalidated during every load gives up reloading after 50 rounds and serves the last answer', async () => {
    let s!: GuildConfigStore;
    const made = makeStore({
      l2: null,
      load: (_g, call) => {
        s.dropUnversioned(GUILD);
        return config(call);
      },
    });
    s = made.store;
    expect((await s.fetch(GUILD, false))?.version).toBe(50);
    expect(made.loadCalls).toHaveLength(50);
  });

  it('a database answering ever newer versions below the floor is accepted after 50 rounds', async () => {
    const {
      store: s,
      loadCalls,
      logger,
    } = makeStore({
      l2: null,
      load: (_g, call) => config(call),
      maxStaleLoads: 1000,
    });
    s.raiseFloor(GUILD, 1000);
    expect((await s.fetch(GUILD, false))?.version).toBe(50);
    expect(loadCalls).toHaveLength(50);
    expect(s.floor(GUILD)).toBe(50);
    expect(logger.has('Suspect event for guild', 'warn')).toBe(true);
  });

  it('backs off 20 ms then 40 ms between loads that keep answering the same old version', async () => {
    vi.useFakeTimers();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => config(call < 4 ? 2 : 3),
      maxStaleLoads: 5,
    });
    s.raiseFloor(GUILD, 3);
    const got = s.fetch(GUILD, false);
    await vi.advanceTimersByTimeAsync(0);
    expect(loadCalls, 'the first repeat of a load older than the floor is immediate').toHaveLength(2);
    await vi.advanceTimersByTimeAsync(19);
    expect(loadCalls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(loadCalls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(39);
    expect(loadCalls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect((await got)?.version).toBe(3);
    expect(loadCalls).toHaveLength(4);
  });

  it('a load older than what L1 meanwhile holds keeps L1 and is not written to L2', async () => {
    const l2 = fakeL2();
    const first = deferred<GuildConfig>();
    const { store: s } = makeStore({ l2, load: () => first.promise });
    const got = s.fetch(GUILD, true);
    await settle();
    const newer = Object.freeze(config(5));
    s.l1.set(GUILD, newer);
    first.resolve(config(4));
    expect(await got).toBe(newer);
    expect(s.l1.get(GUILD)).toBe(newer);
    await settle();
    expect(l2.writes, 'an older load overwrote L2').toEqual([]);
  });

  it('a load of the same version as L1 replaces the L1 entry and is written to L2', async () => {
    const l2 = fakeL2();
    const { store: s } = makeStore({ l2, load: () => config(5, 'fresh') });
    s.l1.set(GUILD, Object.freeze(config(5, 'old')));
    const got = await s.fetch(GUILD, true);
    expect(got?.settings['prefix']).toBe('fresh');
    await settle();
    expect(l2.writes).toEqual([{ key: keyOf(GUILD), version: 5 }]);
  });

  it('an installed config gets the normal L1 TTL and is deeply frozen', async () => {
    const inner = Object.freeze({ deep: { x: 1 } });
    const { store: s } = makeStore({
      l2: null,
      load: () => ({ settings: { prefix: 'p', n: null, inner }, modules: {}, version: 1 }),
      l1TtlMs: 60_000,
    });
    const got = await s.fetch(GUILD, false);
    expect(s.l1.getRemainingTTL(GUILD)).toBeGreaterThan(30_000);
    expect(s.l1.getRemainingTTL(GUILD)).toBeLessThanOrEqual(60_000);
    expect(Object.isFrozen(got)).toBe(true);
    expect(Object.isFrozen(got?.settings)).toBe(true);
    expect(Object.isFrozen(got?.modules)).toBe(true);
    // A frozen object is not walked again: its unfrozen children stay as they were.
    expect(Object.isFrozen(inner.deep)).toBe(false);
  });

  it('a function in a loaded config is not frozen: it is the app’s code, not config data', async () => {
    const format = Object.assign((name: string) => `hi ${name}`, { uses: 0 });
    const { store: s } = makeStore({
      l2: null,
      load: () => ({ settings: { prefix: 'p', format }, modules: {}, version: 1 }),
    });
    const got = await s.fetch(GUILD, false);
    expect(Object.isFrozen(got?.settings)).toBe(true);
    expect(got?.settings['format']).toBe(format);
    expect(Object.isFrozen(format)).toBe(false);
    format.uses++;
    expect(format.uses).toBe(1);
  });

  it('clear() empties L1', async () => {
    const { store: s } = makeStore({ l2: null, load: () => config(1) });
    await s.fetch(GUILD, false);
    s.clear();
    expect(s.l1.size).toBe(0);
  });

  it('logs a failed L2 write with its key', async () => {
    const l2 = fakeL2();
    l2.failSet = true;
    const { store: s, logger } = makeStore({ l2, load: () => config(1) });
    await s.fetch(GUILD, false);
    await settle();
    const entry = logger.entries.find((e) => e.msg === 'Guild config L2 write failed');
    expect(entry?.level).toBe('warn');
    expect(entry?.obj).toMatchObject({ key: keyOf(GUILD) });
  });

  it('logs a failed L2 read with the guild id and loads from the database', async () => {
    const l2 = fakeL2();
    l2.failGet = true;
    const { store: s, logger, loadCalls } = makeStore({ l2, load: () => config(1) });
    expect((await s.fetch(GUILD, false))?.version).toBe(1);
    expect(loadCalls).toHaveLength(1);
    const entry = logger.entries.find((e) => e.level === 'warn' && e.msg.includes('L2 read failed'));
    expect(entry?.msg).toBe(`Guild config L2 read failed for guild ${GUILD}`);
    expect(entry?.obj).toMatchObject({ guildId: GUILD });
  });
});

describe('GuildConfigStore L2 entries', () => {
  it('drops a corrupted L2 entry, warns with the guild id, and loads', async () => {
    const l2 = fakeL2();
    l2.entries.set(keyOf(GUILD), { value: { settings: 1 }, version: 1, writtenAt: Date.now() });
    const { store: s, logger, loadCalls } = makeStore({ l2, load: () => config(1) });
    expect((await s.fetch(GUILD, false))?.version).toBe(1);
    expect(loadCalls).toHaveLength(1);
    expect(l2.dels).toContain(keyOf(GUILD));
    const entry = logger.entries.find((e) => e.msg.includes('Corrupted guild config in L2'));
    expect(entry?.level).toBe('warn');
    expect(entry?.msg).toBe(`Corrupted guild config in L2 for guild ${GUILD}, reloading`);
    expect(entry?.obj).toEqual({ guildId: GUILD });
  });

  it('treats an L2 entry whose stored version differs from the config inside as corrupted', async () => {
    const l2 = fakeL2();
    l2.entries.set(keyOf(GUILD), { value: config(3), version: 4, writtenAt: Date.now() });
    const { store: s, logger, loadCalls } = makeStore({ l2, load: () => config(4) });
    expect((await s.fetch(GUILD, false))?.version).toBe(4);
    expect(loadCalls).toHaveLength(1);
    expect(logger.has('Corrupted guild config in L2', 'warn')).toBe(true);
  });

  it('uses a valid unversioned L2 entry as it is', async () => {
    const l2 = fakeL2();
    l2.entries.set(keyOf(GUILD), { value: config(3), version: undefined, writtenAt: undefined });
    const { store: s, logger, loadCalls } = makeStore({ l2, load: () => config(9) });
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(loadCalls).toEqual([]);
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([]);
  });

  it('skips L2 after its own tombstone only while that tombstone is at or above the floor', async () => {
    const l2 = fakeL2();
    const { store: s, loadCalls } = makeStore({ l2, load: () => config(2) });
    await s.fetch(GUILD, false); // L1 holds v2
    expect(s.raiseFloor(GUILD, 3)).toBe('reload'); // tombstone v3
    expect(s.raiseFloor(GUILD, 5)).toBe('newer'); // L1 dropped, nothing loading: no new tombstone
    l2.entries.set(keyOf(GUILD), { value: config(5), version: 5, writtenAt: Date.now() });
    l2.reads.length = 0;
    expect((await s.fetch(GUILD, false))?.version, 'an L2 entry at the floor was skipped').toBe(5);
    expect(l2.reads).toHaveLength(1);
    expect(loadCalls).toHaveLength(1);
  });

  it('a reload whose tombstone found the announced version in L2 uses the value it returned: no read, no load, no write', async () => {
    const l2 = fakeL2();
    const { store: s, loadCalls } = makeStore({ l2, load: () => config(2) });
    await s.fetch(GUILD, false); // L1 holds v2 (one load, one L2 write)
    l2.entries.set(keyOf(GUILD), { value: config(3), version: 3, writtenAt: Date.now() }); // a writer stored v3
    l2.invalidateResult = false;
    l2.reads.length = 0;
    l2.writes.length = 0;
    expect(s.raiseFloor(GUILD, 3)).toBe('reload');
    const got = await s.fetch(GUILD, false);
    expect(got).toEqual(config(3));
    expect(Object.isFrozen(got?.settings), 'the kept value is installed frozen like any other').toBe(true);
    expect(l2.kept).toEqual([keyOf(GUILD)]);
    expect(l2.reads, 'L2 was read again after the tombstone answered').toEqual([]);
    expect(l2.writes).toEqual([]);
    expect(loadCalls).toHaveLength(1);
    expect(s.stats.l2Hits).toBe(1);
  });

  it('a kept value below a floor raised meanwhile is not served: the newer event wins', async () => {
    const l2 = fakeL2();
    const { store: s, loadCalls } = makeStore({ l2, load: (_g, call) => config(call === 1 ? 2 : 4) });
    await s.fetch(GUILD, false);
    l2.entries.set(keyOf(GUILD), { value: config(3), version: 3, writtenAt: Date.now() });
    l2.invalidateResult = false;
    expect(s.raiseFloor(GUILD, 3)).toBe('reload'); // answers with v3
    const reload = s.fetch(GUILD, false);
    l2.invalidateResult = true; // v4's tombstone replaces the v3 value
    expect(s.raiseFloor(GUILD, 4)).toBe('reload'); // announced while the v3 answer is pending
    expect((await reload)?.version, 'served the kept v3 below the v4 floor').toBe(4);
    expect(loadCalls).toHaveLength(2);
  });

  it('a kept value that is not a guild config is dropped and the database read', async () => {
    const l2 = fakeL2();
    const { store: s, logger, loadCalls } = makeStore({ l2, load: (_g, call) => config(call === 1 ? 2 : 3) });
    await s.fetch(GUILD, false);
    l2.entries.set(keyOf(GUILD), { value: { settings: 'nope' }, version: 3, writtenAt: Date.now() });
    l2.invalidateResult = false;
    l2.dels.length = 0;
    expect(s.raiseFloor(GUILD, 3)).toBe('reload');
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(loadCalls).toHaveLength(2);
    expect(l2.dels).toEqual([keyOf(GUILD)]);
    expect(logger.entries.map((e) => e.msg)).toContain(
      `Corrupted guild config in L2 for guild ${GUILD}, reloading`,
    );
  });

  it('a kept value that is not JSON is dropped and the database read', async () => {
    const l2 = fakeL2();
    const { store: s, logger, loadCalls } = makeStore({ l2, load: (_g, call) => config(call === 1 ? 2 : 3) });
    await s.fetch(GUILD, false);
    l2.invalidateResult = false;
    (l2.manager as unknown as { invalidateOrGet: () => Promise<unknown> }).invalidateOrGet = async () => ({
      written: false,
      entry: { value: '{not json', version: 3, writtenAt: Date.now() },
    });
    expect(s.raiseFloor(GUILD, 3)).toBe('reload');
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(loadCalls).toHaveLength(2);
    expect(logger.entries.map((e) => e.msg)).toContain(
      `Corrupted guild config in L2 for guild ${GUILD}, reloading`,
    );
  });

  it('a kept tombstone (no entry) makes the reload read L2 once, as a failed tombstone does', async () => {
    const l2 = fakeL2();
    const { store: s, loadCalls } = makeStore({ l2, load: (_g, call) => config(call === 1 ? 2 : 3) });
    await s.fetch(GUILD, false);
    l2.entries.delete(keyOf(GUILD));
    l2.invalidateResult = false; // kept, and nothing to answer with
    l2.reads.length = 0;
    expect(s.raiseFloor(GUILD, 3)).toBe('reload');
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(l2.reads).toEqual([keyOf(GUILD)]);
    expect(loadCalls).toHaveLength(2);
  });

  it('an event for a guild neither cached nor loading writes a plain tombstone, asking nothing back', async () => {
    const l2 = fakeL2();
    const invalidated: string[] = [];
    const plain = l2.manager.invalidate.bind(l2.manager);
    (l2.manager as unknown as { invalidate: typeof plain }).invalidate = async (key, version, ttl) => {
      invalidated.push(key);
      return plain(key, version, ttl);
    };
    const { store: s } = makeStore({ l2, load: () => config(2) });
    expect(s.raiseFloor(GUILD, 3)).toBe('newer');
    expect(invalidated).toEqual([keyOf(GUILD)]);
    expect(l2.kept).toEqual([]);
  });
});

describe('GuildConfigStore suspect L2 entries after distrustL2()', () => {
  const T0 = Date.UTC(2030, 0, 1);

  function suspectSetup(
    writtenAt: number | undefined,
    loadVersions?: () => Promise<ReadonlyMap<string, number>>,
  ) {
    const l2 = fakeL2();
    const versionCalls: string[][] = [];
    l2.entries.set(keyOf(GUILD), { value: config(3), version: 3, writtenAt });
    l2.entries.set(keyOf(OTHER), { value: config(7), version: 7, writtenAt });
    const made = makeStore({
      l2,
      load: (g) => config(g === GUILD ? 4 : 8),
      l2TtlSeconds: 60,
      ...(loadVersions
        ? {
            loadVersions: async (ids: readonly string[]) => {
              versionCalls.push([...ids]);
              return loadVersions();
            },
          }
        : {}),
    });
    return { ...made, l2, versionCalls };
  }

  it('without a resync, old and unversioned L2 entries are used unchecked', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, loadCalls, versionCalls } = suspectSetup(undefined, async () => new Map());
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(loadCalls).toEqual([]);
    expect(versionCalls).toEqual([]);
  });

  it('an entry written before the resync (or without a time) is confirmed against the database', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, loadCalls, versionCalls } = suspectSetup(undefined, async () => new Map([[GUILD, 4]]));
    s.distrustL2(0);
    expect((await s.fetch(GUILD, false))?.version, 'a suspect L2 entry was used without confirmation').toBe(
      4,
    );
    expect(loadCalls).toEqual([GUILD]);
    expect(versionCalls).toEqual([[GUILD]]);
  });

  it('an entry written exactly at or after the resync point is not suspect', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, versionCalls } = suspectSetup(T0 + 1000, async () => new Map());
    s.distrustL2(1000);
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(versionCalls).toEqual([]);
  });

  it('an entry written just before the resync point is suspect', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, versionCalls, loadCalls } = suspectSetup(T0 + 999, async () => new Map([[GUILD, 4]]));
    s.distrustL2(1000);
    expect((await s.fetch(GUILD, false))?.version).toBe(4);
    expect(versionCalls).toHaveLength(1);
    expect(loadCalls).toHaveLength(1);
  });

  it('the suspect window ends one L2 TTL after the resync', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, versionCalls } = suspectSetup(T0 - 1, async () => new Map());
    s.distrustL2(0);
    vi.setSystemTime(T0 + 60_000);
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(versionCalls).toEqual([]);
  });

  it('a resync point of 0 does not make entries suspect', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, versionCalls } = suspectSetup(undefined, async () => new Map());
    s.distrustL2(-T0);
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect(versionCalls).toEqual([]);
  });

  it('a confirmed suspect entry is used, and its confirmation is remembered per guild', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const {
      store: s,
      loadCalls,
      versionCalls,
    } = suspectSetup(
      T0 - 1,
      async () =>
        new Map([
          [GUILD, 3],
          [OTHER, 7],
        ]),
    );
    s.distrustL2(0);
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect((await s.fetch(OTHER, false))?.version).toBe(7);
    s.clear();
    expect((await s.fetch(GUILD, false))?.version).toBe(3);
    expect((await s.fetch(OTHER, false))?.version).toBe(7);
    expect(loadCalls).toEqual([]);
    expect(versionCalls, 'a confirmed version was asked again').toEqual([[GUILD], [OTHER]]);
  });

  it('a refuted suspect entry is not remembered as confirmed', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const { store: s, loadCalls, versionCalls, l2 } = suspectSetup(T0 - 1, async () => new Map([[GUILD, 4]]));
    s.distrustL2(0);
    expect((await s.fetch(GUILD, false))?.version).toBe(4);
    await settle();
    l2.entries.set(keyOf(GUILD), { value: config(3), version: 3, writtenAt: T0 - 1 });
    s.clear();
    expect((await s.fetch(GUILD, false))?.version).toBe(4);
    expect(versionCalls).toHaveLength(2);
    expect(loadCalls).toHaveLength(2);
  });

  it('a suspect entry is not used when versions cannot be checked (no loader, or it fails)', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const a = suspectSetup(T0 - 1);
    a.store.distrustL2(0);
    expect((await a.store.fetch(GUILD, false))?.version).toBe(4);
    const b = suspectSetup(T0 - 1, async () => {
      throw new Error('db down');
    });
    b.store.distrustL2(0);
    expect((await b.store.fetch(GUILD, false))?.version).toBe(4);
    expect(b.versionCalls).toHaveLength(1);
  });
});

describe('GuildConfigStore floors', () => {
  it('the first announcement of any version (0 and 1 included) is newer', () => {
    const { store: s } = makeStore({ l2: null, load: () => config(1) });
    expect(s.raiseFloor(GUILD, 0)).toBe('newer');
    expect(s.raiseFloor(OTHER, 1)).toBe('newer');
    expect(s.raiseFloor(OTHER, 1)).toBe('known');
  });

  it('an announcement for a guild being loaded returns reload and the fill reloads', async () => {
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(3)),
    });
    const got = s.fetch(GUILD, false);
    await settle();
    expect(s.raiseFloor(GUILD, 3)).toBe('reload');
    first.resolve(config(2));
    expect((await got)?.version).toBe(3);
    expect(loadCalls).toHaveLength(2);
  });

  it('an announcement between held version and a higher floor makes a fill in progress reload', async () => {
    const first = deferred<GuildConfig>();
    const { store: s } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(10)),
      maxStaleLoads: 1,
    });
    s.raiseFloor(GUILD, 10);
    const got = s.fetch(GUILD, false);
    await settle();
    expect(s.raiseFloor(GUILD, 5)).toBe('known');
    first.resolve(config(4));
    expect((await got)?.version).toBe(10);
    // The first answer was discarded as invalidated (not counted as a stale load).
    expect(s.stats.staleDiscarded, 'the fill was not marked to reload').toBe(0);
  });

  it('an announcement at or below the held version does not disturb a fill in progress', async () => {
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(9)),
    });
    s.raiseFloor(GUILD, 10);
    s.l1.set(GUILD, Object.freeze(config(6)));
    const got = s.fetch(GUILD, true);
    await settle();
    expect(s.raiseFloor(GUILD, 6)).toBe('known');
    expect(s.raiseFloor(GUILD, 10)).toBe('known');
    expect(s.raiseFloor(GUILD, 11)).toBe('reload');
    first.resolve(config(11));
    expect((await got)?.version).toBe(11);
    expect(loadCalls).toHaveLength(1);
  });

  it('an announcement below the floor with nothing held makes a fill reload', async () => {
    const first = deferred<GuildConfig>();
    const { store: s, loadCalls } = makeStore({
      l2: null,
      load: (_g, call) => (call === 1 ? first.promise : config(10)),
    });
    s.raiseFloor(GUILD, 10);
    const got = s.fetch(GUILD, false);
    await settle();
    expect(s.raiseFloor(GUILD, 0)).toBe('known');
    first.resolve(config(10));
    expect((await got)?.version).toBe(10);
    expect(loadCalls, 'version 0 is above "nothing held" (-1): the fill reloads').toHaveLength(2);
  });

  it('the suspect-event warning names the announcer of the current floor, once per guild and floor', async () => {
    const { store: s, logger } = makeStore({ l2: fakeL2(), load: () => config(2), maxStaleLoads: 1 });
    s.raiseFloor(GUILD, 9, 'event A');
    s.raiseFloor(GUILD, 9, 'event B');
    await s.fetch(GUILD, false);
    const warns = () => logger.entries.filter((e) => e.msg.startsWith('Suspect event for guild'));
    expect(warns()).toHaveLength(1);
    expect(warns()[0]?.obj).toEqual({
      guildId: GUILD,
      announcedVersion: 9,
      databaseVersion: 2,
      source: 'event A',
    });
    // The same forged floor again: served from the database again, not logged again.
    expect(s.raiseFloor(GUILD, 9, 'event C')).toBe('reload');
    await s.fetch(GUILD, false);
    expect(warns()).toHaveLength(1);
    // Another guild warns on its own.
    s.raiseFloor(OTHER, 9, 'event D');
    await s.fetch(OTHER, false);
    expect(warns()).toHaveLength(2);
    expect(warns()[1]?.obj).toMatchObject({ guildId: OTHER, source: 'event D' });
  });

  it('an announcement without a source clears the previous announcer', async () => {
    const { store: s, logger } = makeStore({ l2: null, load: () => config(2), maxStaleLoads: 1 });
    s.raiseFloor(GUILD, 8, 'event A');
    s.raiseFloor(GUILD, 9);
    await s.fetch(GUILD, false);
    const warn = logger.entries.find((e) => e.msg.startsWith('Suspect event for guild'));
    expect(warn?.obj).toEqual({ guildId: GUILD, announcedVersion: 9, databaseVersion: 2, source: undefined });
  });

  it('a failed L2 tombstone write is logged with the guild id', async () => {
    const l2 = fakeL2();
    l2.invalidateResult = 'reject';
    const { store: s, logger } = makeStore({ l2, load: () => config(1) });
    await s.fetch(GUILD, false);
    expect(s.raiseFloor(GUILD, 2)).toBe('reload');
    await settle();
    const entry = logger.entries.find((e) => e.msg === 'Guild config L2 invalidation failed');
    expect(entry?.level).toBe('warn');
    expect(entry?.obj).toMatchObject({ guildId: GUILD });
  });

  it('keeps floors of many more guilds than L1 holds', () => {
    const { store: s } = makeStore({ l2: null, load: () => config(1), l1Max: 5000 });
    for (let i = 0; i < 15_000; i++) s.raiseFloor(`g${i}`, 1);
    expect(s.floor('g0'), 'floors must be kept for 4 × l1Max guilds').toBe(1);
  });

  it('keeps floors of 10 000 guilds even with a small L1', () => {
    const { store: s } = makeStore({ l2: null, load: () => config(1), l1Max: 100 });
    for (let i = 0; i < 5000; i++) s.raiseFloor(`g${i}`, 1);
    expect(s.floor('g0')).toBe(1);
  });
});

describe('GuildConfigStore bounds', () => {
  it('keeps the tombstones of 1000 guilds even with a small L1', async () => {
    const l2 = fakeL2();
    let floorOf: (g: string) => number | undefined = () => undefined;
    const { store: s } = makeStore({ l2, load: (g) => config(floorOf(g) ?? 1), l1Max: 10 });
    floorOf = (g) => s.floor(g);
    for (let i = 0; i < 20; i++) {
      await s.fetch(String(1_000_000 + i), false);
      expect(s.raiseFloor(String(1_000_000 + i), 2)).toBe('reload');
    }
    await settle();
    l2.reads.length = 0;
    expect((await s.fetch('1000000', false))?.version).toBe(2);
    expect(l2.reads, 'the tombstone of the first guild was forgotten: L2 was read again').toEqual([]);
  });

  it('forgets the oldest tombstone beyond 1000 (forgetting costs one L2 read, not correctness)', async () => {
    const l2 = fakeL2();
    // Every first fetch is an L2 hit: only the last two fetches load.
    l2.defaultEntry = { value: config(1), version: 1, writtenAt: Date.now() };
    let floorOf: (g: string) => number | undefined = () => undefined;
    const { store: s } = makeStore({ l2, load: (g) => config(floorOf(g) ?? 1), l1Max: 10 });
    floorOf = (g) => s.floor(g);
    const id = (i: number) => String(1_000_000 + i);
    const announce = async (i: number, version: number) => {
      await s.fetch(id(i), false);
      expect(s.raiseFloor(id(i), version)).toBe('reload');
    };
    for (let i = 0; i <= 1000; i++) await announce(i, 2); // one over the bound: guild 0, the oldest, goes
    await settle();
    l2.reads.length = 0;
    expect((await s.fetch(id(1), false))?.version).toBe(2);
    expect(l2.reads, 'the second-oldest tombstone was forgotten too').toEqual([]);
    expect((await s.fetch(id(0), false))?.version).toBe(2);
    expect(l2.reads, 'the oldest tombstone was kept beyond the bound').toEqual([keyOf(id(0))]);
  });

  it("replaces a guild's tombstone in place: a second event during a reload forgets no other guild", async () => {
    const l2 = fakeL2();
    l2.defaultEntry = { value: config(1), version: 1, writtenAt: Date.now() };
    const A = '2000000';
    const pending = deferred<GuildConfig>();
    let floorOf: (g: string) => number | undefined = () => undefined;
    const { store: s } = makeStore({
      l2,
      load: (g) => (g === A ? pending.promise : config(floorOf(g) ?? 1)),
      l1Max: 10,
    });
    floorOf = (g) => s.floor(g);
    const id = (i: number) => String(1_000_000 + i);
    const announce = async (g: string) => {
      await s.fetch(g, false);
      expect(s.raiseFloor(g, 2)).toBe('reload');
    };
    await announce(id(0)); // the oldest tombstone
    const reload = s.fetch(A, true); // a reload of A that has passed its L2 stage
    expect(s.raiseFloor(A, 2)).toBe('reload');
    for (let i = 1; i <= 998; i++) await announce(id(i)); // 1000 tombstones: the bound
    expect(s.raiseFloor(A, 3)).toBe('reload'); // A's tombstone again, while its reload runs
    pending.resolve(config(3));
    await reload;
    await settle();
    l2.reads.length = 0;
    expect((await s.fetch(id(0), false))?.version).toBe(2);
    expect(l2.reads, 'the oldest tombstone was forgotten to make room for one that replaced another').toEqual(
      [],
    );
  });

  it('remembers up to 100 000 confirmed versions, then starts afresh', async () => {
    const T0 = Date.UTC(2030, 0, 1);
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const l2 = fakeL2();
    l2.defaultEntry = { value: config(1), version: 1, writtenAt: T0 - 1 };
    let asked = 0;
    const { store: s } = makeStore({
      l2,
      load: () => config(1),
      l1Max: 10,
      loadVersions: async (ids) => {
        asked++;
        return new Map(ids.map((id) => [id, 1]));
      },
    });
    s.distrustL2(0);
    for (let i = 0; i < 100_000; i++) await s.fetch(String(1_000_000 + i), false);
    expect(asked).toBe(100_000);
    s.clear();
    await s.fetch('1000000', false);
    expect(asked, 'a confirmed version was asked again before the bound was reached').toBe(100_000);
    await s.fetch('1100000', false);
    s.clear();
    await s.fetch('1000001', false);
    expect(asked, 'the confirmations were not dropped at the bound').toBe(100_002);
  }, 60_000);
});

describe('GuildConfigStore tombstone that could not be written', () => {
  it('reads L2 after a failed tombstone write instead of assuming L2 holds only the tombstone', async () => {
    const l2 = fakeL2();
    l2.invalidateResult = 'reject';
    const { store: s, loadCalls } = makeStore({ l2, load: () => config(1) });
    await s.fetch(GUILD, false);
    expect(s.raiseFloor(GUILD, 2)).toBe('reload');
    await settle();
    // Another process stored version 2 meanwhile.
    l2.entries.set(keyOf(GUILD), { value: config(2), version: 2, writtenAt: Date.now() });
    expect((await s.fetch(GUILD, false))?.version).toBe(2);
    expect(loadCalls, 'L2 was skipped although no tombstone was written').toHaveLength(1);
  });
});

describe('GuildConfigStore announcer bound', () => {
  for (const [l1Max, guilds] of [
    [100, 5000],
    [5000, 15_000],
  ] as const) {
    it(`remembers the announcers of ${guilds} guilds with l1Max ${l1Max}`, async () => {
      const { store: s, logger } = makeStore({ l2: null, load: () => config(1), l1Max, maxStaleLoads: 1 });
      for (let i = 0; i < guilds; i++) s.raiseFloor(String(1_000_000 + i), 5, `event ${i}`);
      await s.fetch('1000000', false);
      const warn = logger.entries.find((e) => e.msg.startsWith('Suspect event for guild'));
      expect(warn?.obj).toMatchObject({ guildId: '1000000', source: 'event 0' });
    });
  }
});
