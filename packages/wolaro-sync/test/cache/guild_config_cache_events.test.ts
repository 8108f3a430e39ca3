import { captureLogger, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import type { RedisFallbackManager } from '../../src/cache/fallback.js';
import type { CacheEntry } from '../../src/cache/fallback_options.js';
import type { GuildConfig } from '../../src/cache/guild_config.js';
import { GuildConfigCache } from '../../src/cache/guild_config_cache.js';
import type {
  GuildConfigCacheOptions,
  GuildConfigEventSource,
} from '../../src/cache/guild_config_options.js';
import { cacheKeys } from '../../src/keys/cache_keys.js';
import { defer, useCleanup } from './helpers.js';

// Event handling, stats and resync of GuildConfigCache, driven through narrow in-memory stand-ins:
// an event source whose handlers the test calls directly (events without id/origin included), a
// "database" of rows, and an L2 that behaves like a lagging writer (its invalidations are lost).

useCleanup();

const G = '111111111111111111';
const H = '222222222222222222';

type Handler = (event: { guildId: string; version?: number; eventId?: string; origin?: string }) => void;

function config(version: number, prefix = `p${version}`): GuildConfig {
  return { settings: { prefix }, modules: {}, version };
}

/** An event source the test drives by hand. */
function fakeSource() {
  const handlers = new Map<string, Set<Handler>>();
  const resyncListeners = new Set<() => void>();
  const source = {
    subscribe(channel: string, handler: Handler) {
      const set = handlers.get(channel) ?? new Set<Handler>();
      handlers.set(channel, set);
      set.add(handler);
      return () => set.delete(handler);
    },
    on(event: string, listener: () => void) {
      if (event === 'resync') resyncListeners.add(listener);
    },
    off(event: string, listener: () => void) {
      if (event === 'resync') resyncListeners.delete(listener);
    },
  };
  return {
    source: source as unknown as GuildConfigEventSource,
    publish(channel: 'config:update' | 'module:toggle' | 'guild:reload', event: Parameters<Handler>[0]) {
      for (const h of handlers.get(channel) ?? []) h(event);
    },
    handlerCount: () => [...handlers.values()].reduce((n, s) => n + s.size, 0),
    resyncListenerCount: () => resyncListeners.size,
  };
}

/** Rows, a counting loader, a versions loader (optionally held until released). */
function fakeDb() {
  const rows = new Map<string, GuildConfig>();
  const loads: string[] = [];
  const versionQueries: string[][] = [];
  let versionsGate: Promise<void> | undefined;
  let versionsError: Error | undefined;
  return {
    rows,
    loads,
    versionQueries,
    failVersions(err: Error | undefined) {
      versionsError = err;
    },
    holdVersions(): () => void {
      let release!: () => void;
      versionsGate = new Promise((r) => {
        release = r;
      });
      return () => {
        versionsGate = undefined;
        release();
      };
    },
    load: async (guildId: string): Promise<GuildConfig | null> => {
      loads.push(guildId);
      const row = rows.get(guildId);
      return row ? structuredClone(row) : null;
    },
    loadVersions: async (ids: readonly string[]): Promise<ReadonlyMap<string, number>> => {
      versionQueries.push([...ids]);
      const answer = new Map(
        ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!.version] as const] : [])),
      );
      if (versionsGate) await versionsGate;
      if (versionsError) throw versionsError;
      return answer;
    },
  };
}

/** An L2 that keeps what it is given and loses every invalidation (a lagging writer). */
function laggingL2(defaultTtlSeconds?: number) {
  const entries = new Map<string, CacheEntry<unknown>>();
  const writes: { key: string; ttlSeconds: number | undefined }[] = [];
  const l2 = {
    defaultTtlSeconds,
    async getJSONEntry(key: string) {
      return entries.get(key) ?? null;
    },
    async setJSON(key: string, value: GuildConfig, options: { version?: number; ttlSeconds?: number }) {
      writes.push({ key, ttlSeconds: options.ttlSeconds });
      entries.set(key, { value, version: options.version, writtenAt: Date.now() });
    },
    async del() {},
    async invalidate() {
      return false;
    },
  };
  return {
    cache: l2 as unknown as RedisFallbackManager,
    writes,
    /** Puts a config in L2 as written by another process after any resync (never suspect). */
    put(guildId: string, value: GuildConfig) {
      entries.set(cacheKeys.guildConfig(guildId), {
        value,
        version: value.version,
        writtenAt: Date.now() + 600_000,
      });
    },
  };
}

async function setup(options: Partial<GuildConfigCacheOptions> & { withVersions?: boolean } = {}) {
  const bus = fakeSource();
  const db = fakeDb();
  const logger = captureLogger();
  const { withVersions = true, ...rest } = options;
  const configs = new GuildConfigCache({
    sync: bus.source,
    load: db.load,
    ...(withVersions ? { loadVersions: db.loadVersions } : {}),
    logger,
    ...rest,
  });
  await configs.start();
  defer(() => configs.stop());
  const updated: [string, GuildConfig | null][] = [];
  const invalidated: [string, number | undefined][] = [];
  const errors: Error[] = [];
  configs.on('updated', (id, cfg) => updated.push([id, cfg]));
  configs.on('invalidated', (id, v) => invalidated.push([id, v]));
  configs.on('error', (err) => errors.push(err));
  return { bus, db, logger, configs, updated, invalidated, errors };
}

describe('GuildConfigCache stats', () => {
  it('hit rate is 0 before any read and hits / (hits + misses) after', async () => {
    const { db, configs } = await setup();
    expect(configs.stats()).toMatchObject({ hits: 0, misses: 0, hitRate: 0, size: 0 });
    db.rows.set(G, config(1));
    await configs.get(G);
    for (let i = 0; i < 3; i++) await configs.get(G);
    expect(configs.stats()).toMatchObject({ hits: 3, misses: 1, hitRate: 0.75, size: 1 });
  });
});

describe('GuildConfigCache events', () => {
  it('a newer version: invalidated(guild, version), one reload, counted as applied; a repeat is ignored', async () => {
    const { bus, db, configs, updated, invalidated } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    db.rows.set(G, config(2));
    bus.publish('config:update', { guildId: G, version: 2, eventId: 'e1', origin: 'a' });
    expect(invalidated).toEqual([[G, 2]]);
    await waitFor(() => updated.length === 1);
    expect(updated[0]?.[1]?.version).toBe(2);
    bus.publish('module:toggle', { guildId: G, version: 2 });
    expect(configs.stats()).toMatchObject({ eventsApplied: 1, eventsIgnored: 1 });
    expect(invalidated).toEqual([[G, 2]]);
  });

  it('a newer version of a guild not cached raises the floor without loading it', async () => {
    const { bus, db, configs, updated } = await setup();
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(H);
    bus.publish('config:update', { guildId: G, version: 5 });
    expect(configs.floor(G)).toBe(5);
    // Sentinel: a reload of H, started after G's event, completes after anything G's would have.
    db.rows.set(H, config(2));
    bus.publish('config:update', { guildId: H, version: 2 });
    await waitFor(() => updated.length === 1);
    expect(db.loads).toEqual([H, H]);
    expect(updated.map(([id]) => id)).toEqual([H]);
    expect(configs.stats()).toMatchObject({ eventsApplied: 2, eventsIgnored: 0 });
  });

  it('an unversioned change reloads from the database, not from L2, and sets no floor', async () => {
    for (const via of ['guild:reload', 'config:update'] as const) {
      const l2 = laggingL2();
      const { bus, db, configs, updated, invalidated } = await setup({ cache: l2.cache });
      db.rows.set(G, config(1));
      await configs.get(G);
      db.rows.set(G, config(2));
      // Another process's L2 write of the old row survives the invalidation.
      l2.put(G, config(1));
      bus.publish(via, { guildId: G });
      expect(invalidated, via).toEqual([[G, undefined]]);
      await waitFor(() => updated.length === 1);
      expect(updated[0]?.[1]?.version, `${via}: the stale L2 entry was served`).toBe(2);
      expect(configs.floor(G)).toBeUndefined();
      expect(configs.stats().eventsApplied).toBe(1);
      bus.publish('guild:reload', { guildId: G });
      expect(configs.stats().eventsApplied).toBe(2);
    }
  });

  it('an unversioned change of a guild not cached loads nothing', async () => {
    const { bus, db, configs, updated, invalidated } = await setup();
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(H);
    bus.publish('guild:reload', { guildId: G });
    expect(invalidated).toEqual([[G, undefined]]);
    db.rows.set(H, config(2));
    bus.publish('guild:reload', { guildId: H });
    await waitFor(() => updated.length === 1);
    expect(db.loads).toEqual([H, H]);
    expect(updated.map(([id]) => id)).toEqual([H]);
  });

  it('a reload finding the guild deleted emits no updated event', async () => {
    const { bus, db, configs, updated, errors } = await setup();
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(G);
    await configs.get(H);
    db.rows.delete(G);
    bus.publish('guild:reload', { guildId: G });
    bus.publish('guild:reload', { guildId: H }); // sentinel, loads after G
    await waitFor(() => updated.length >= 1);
    expect(db.loads).toEqual([G, H, G, H]);
    expect(updated.map(([id, cfg]) => [id, cfg?.version])).toEqual([[H, 1]]);
    expect(errors).toEqual([]);
  });

  it('a failed background reload is logged with the guild and emitted as an error', async () => {
    const { bus, db, configs, logger, errors } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    const boom = new Error('db down');
    db.rows.set(G, {
      get settings(): never {
        throw boom;
      },
    } as never);
    bus.publish('guild:reload', { guildId: G });
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toBe(boom);
    const entry = logger.entries.find((e) => e.level === 'warn');
    expect(entry?.msg).toBe(`Reloading the config of guild ${G} failed: db down`);
    expect(entry?.obj).toEqual({ err: boom, guildId: G });
  });

  it('the suspect-event warning names the event id and origin, or says they were missing', async () => {
    const { bus, db, configs, logger } = await setup({ maxStaleLoads: 1 });
    db.rows.set(G, config(1));
    db.rows.set(H, config(1));
    await configs.get(G);
    await configs.get(H);
    bus.publish('config:update', { guildId: G, version: 99, eventId: 'ev-7', origin: 'bot-a' });
    bus.publish('config:update', { guildId: H, version: 99 });
    await waitFor(() => logger.count('Suspect event', 'warn') === 2);
    const sources = Object.fromEntries(
      logger.entries
        .filter((e) => e.msg.startsWith('Suspect event'))
        .map((e) => [e.obj?.['guildId'], e.obj?.['source']]),
    );
    expect(sources).toEqual({ [G]: 'event ev-7 from bot-a', [H]: 'event (no id) from (no origin)' });
  });
});

describe('GuildConfigCache stop and close', () => {
  it.each(['stop', 'close'] as const)(
    '%s unsubscribes every handler and the resync listener, and empties L1',
    async (how) => {
      const { bus, db, configs } = await setup();
      expect(bus.handlerCount()).toBe(3);
      expect(bus.resyncListenerCount()).toBe(1);
      db.rows.set(G, config(1));
      await configs.get(G);
      if (how === 'stop') configs.stop();
      else await configs.close();
      expect(bus.handlerCount()).toBe(0);
      expect(bus.resyncListenerCount()).toBe(0);
      expect(configs.peek(G)).toBeUndefined();
      await configs.start();
      expect(bus.handlerCount()).toBe(3);
    },
  );
});
