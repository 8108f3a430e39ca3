// In-memory stand-ins for GuildConfigCache unit tests: an event source whose handlers the test
// calls directly (events without id/origin included), a "database" of rows, and an L2 that behaves
// like a lagging writer (its invalidations are lost).
import { captureLogger } from '@wolaro/test-harness';
import type { RedisFallbackManager } from '../../src/cache/fallback.js';
import type { CacheEntry } from '../../src/cache/fallback_options.js';
import type { GuildConfig } from '../../src/cache/guild_config.js';
import { GuildConfigCache } from '../../src/cache/guild_config_cache.js';
import type {
  GuildConfigCacheOptions,
  GuildConfigEventSource,
} from '../../src/cache/guild_config_options.js';
import { cacheKeys } from '../../src/keys/cache_keys.js';
import { defer } from './helpers.js';

export type Handler = (event: {
  guildId: string;
  version?: number;
  eventId?: string;
  origin?: string;
}) => void;

export function config(version: number, prefix = `p${version}`): GuildConfig {
  return { settings: { prefix }, modules: {}, version };
}

/** An event source the test drives by hand. */
export function fakeSource() {
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
    fireResync() {
      for (const l of resyncListeners) l();
    },
  };
}

/** Rows, a counting loader, a versions loader (optionally held until released). */
export function fakeDb() {
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
export function laggingL2(defaultTtlSeconds?: number) {
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
    async invalidateOrGet() {
      return { written: false, entry: null };
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

export async function setup(options: Partial<GuildConfigCacheOptions> & { withVersions?: boolean } = {}) {
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
