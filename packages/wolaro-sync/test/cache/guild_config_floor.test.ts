import { captureLogger } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import type { RedisFallbackManager } from '../../src/cache/fallback.js';
import type { CacheEntry } from '../../src/cache/fallback_options.js';
import type { GuildConfig } from '../../src/cache/guild_config.js';
import { GuildConfigStore } from '../../src/cache/guild_config_store.js';
import { cacheKeys } from '../../src/keys/cache_keys.js';

// Deterministic unit tests of the per-guild version floor against L2: the L2 here is a plain map
// standing in for Redis (narrow: the store only reads, writes and invalidates through it).

const GUILD = '123456789012345678';

function config(version: number, prefix = `v${version}`): GuildConfig {
  return { settings: { prefix }, modules: {}, version };
}

/** An L2 that keeps whatever it is given; `invalidate` (the tombstone) is ignored, like a lagging writer. */
function fakeL2(entries: Map<string, CacheEntry<unknown>>): RedisFallbackManager {
  const l2 = {
    async getJSONEntry(key: string) {
      return entries.get(key) ?? null;
    },
    async setJSON(key: string, value: GuildConfig, options: { version?: number }) {
      entries.set(key, { value, version: options.version, writtenAt: Date.now() });
    },
    async del(key: string) {
      entries.delete(key);
    },
    async invalidate() {},
    async invalidateOrGet() {
      return { written: false, entry: null };
    },
  };
  return l2 as unknown as RedisFallbackManager;
}

function store(l2: Map<string, CacheEntry<unknown>>, loads: GuildConfig[]) {
  const calls: string[] = [];
  const s = new GuildConfigStore({
    cache: fakeL2(l2),
    load: async (guildId) => {
      calls.push(guildId);
      const next = loads.shift();
      if (!next) throw new Error('load called more often than the test expects');
      return next;
    },
    loadVersions: undefined,
    logger: captureLogger(),
    l1Max: 100,
    l1TtlMs: 60_000,
    l2TtlSeconds: 60,
    maxStaleLoads: 2,
  });
  return { store: s, loadCalls: calls };
}

const keyOf = (guildId: string) => cacheKeys.guildConfig(guildId);

describe('GuildConfigStore version floor', () => {
  it('never serves an L2 entry below the floor: it loads from the database instead', async () => {
    const l2 = new Map<string, CacheEntry<unknown>>();
    const { store: s, loadCalls } = store(l2, [config(3)]);
    // An event announced version 3; L2 still holds version 1 (its tombstone was lost or overwritten).
    s.raiseFloor(GUILD, 3);
    l2.set(keyOf(GUILD), { value: config(1), version: 1, writtenAt: Date.now() });

    const got = await s.fetch(GUILD, false);

    expect(
      got?.version,
      'an L2 entry of version 1 was served although the floor is 3: the floor check on L2 reads is broken',
    ).toBe(3);
    expect(loadCalls).toEqual([GUILD]);
    expect(s.stats).toMatchObject({ l2Hits: 0, loads: 1, staleDiscarded: 1 });
    expect(s.l1.get(GUILD)?.version).toBe(3);
  });

  it('serves an L2 entry at the floor without loading', async () => {
    const l2 = new Map<string, CacheEntry<unknown>>();
    const { store: s, loadCalls } = store(l2, []);
    s.raiseFloor(GUILD, 3);
    l2.set(keyOf(GUILD), { value: config(3), version: 3, writtenAt: Date.now() });

    const got = await s.fetch(GUILD, false);

    expect(got?.version, 'an L2 entry exactly at the floor is current and must be used').toBe(3);
    expect(loadCalls).toEqual([]);
    expect(s.stats).toMatchObject({ l2Hits: 1, loads: 0, staleDiscarded: 0 });
  });

  it('serves L2 when no event set a floor for the guild', async () => {
    const l2 = new Map<string, CacheEntry<unknown>>();
    const { store: s, loadCalls } = store(l2, []);
    l2.set(keyOf(GUILD), { value: config(0), version: 0, writtenAt: Date.now() });
    expect((await s.fetch(GUILD, false))?.version).toBe(0);
    expect(loadCalls).toEqual([]);
  });

  it('repeats a database load that answers below the floor, and writes only the current one to L2', async () => {
    const l2 = new Map<string, CacheEntry<unknown>>();
    const { store: s, loadCalls } = store(l2, [config(2), config(3)]);
    s.raiseFloor(GUILD, 3);

    const got = await s.fetch(GUILD, false);

    expect(got?.version, 'a load of version 2 was accepted although the floor is 3').toBe(3);
    expect(loadCalls).toHaveLength(2);
    expect(s.stats).toMatchObject({ loads: 2, staleDiscarded: 1 });
    await Promise.resolve();
    expect(l2.get(keyOf(GUILD))).toMatchObject({ version: 3, value: { version: 3 } });
  });

  it('serves the database row when it keeps answering below the floor, and lowers the floor to it', async () => {
    const l2 = new Map<string, CacheEntry<unknown>>();
    const { store: s, loadCalls } = store(l2, [config(2), config(2), config(2)]);
    s.raiseFloor(GUILD, Number.MAX_SAFE_INTEGER, 'event e1 from attacker');
    const got = await s.fetch(GUILD, false);
    expect(got?.version, 'a floor the database never reaches must not make the guild unloadable').toBe(2);
    expect(loadCalls, 'the database is asked maxStaleLoads + 1 times first').toHaveLength(3);
    expect(s.floor(GUILD)).toBe(2);
    expect(l2.has(keyOf(GUILD)), 'a config below the announced version was written to L2').toBe(false);
    expect(s.l1.get(GUILD)?.version).toBe(2);
    // Stale L2 entries below the (lowered) floor are still refused, a newer announcement still wins.
    expect(s.raiseFloor(GUILD, 3)).toBe('reload');
    expect(s.l1.get(GUILD)).toBeUndefined();
  });

  it('keeps the row accepted below the floor in L1 for a short while only', async () => {
    const l2 = new Map<string, CacheEntry<unknown>>();
    const { store: s } = store(l2, [config(2), config(2), config(2)]);
    s.raiseFloor(GUILD, 9);
    await s.fetch(GUILD, false);
    const ttl = s.l1.getRemainingTTL(GUILD);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl, 'a row served against an announced version must be re-read soon').toBeLessThanOrEqual(30_000);
  });
});
