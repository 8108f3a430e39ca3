import type { PayloadOf } from '../channels/types.js';
import type { Logger } from '../logger.js';
import type { RedisFallbackManager } from './fallback.js';
import type { GuildConfig } from './guild_config.js';

/**
 * What {@link GuildConfigCache} needs from a `SyncClient`: the three invalidation channels and the
 * `'resync'` event. Any `SyncClient` (with or without your own channels) fits.
 *
 * @example
 * ```ts
 * const source: GuildConfigEventSource = new SyncClient({ redis: process.env.REDIS_URL });
 * ```
 */
export interface GuildConfigEventSource {
  subscribe(channel: 'config:update', handler: (event: PayloadOf<'config:update'>) => void): () => void;
  subscribe(channel: 'module:toggle', handler: (event: PayloadOf<'module:toggle'>) => void): () => void;
  subscribe(channel: 'guild:reload', handler: (event: PayloadOf<'guild:reload'>) => void): () => void;
  on(event: 'resync', listener: (info: { transport: string; downtimeMs: number }) => void): unknown;
  off(event: 'resync', listener: (info: { transport: string; downtimeMs: number }) => void): unknown;
}

/**
 * What a {@link GuildConfigLoader} may return: a {@link GuildConfig} whose `version` may also be a
 * string of digits, as node-postgres returns a `bigint` column (`'2'`). Such a version is coerced to
 * a number when it is a safe integer (up to 2^53 - 1); anything else is refused.
 *
 * @example
 * ```ts
 * const row: LoadedGuildConfig = { settings: { prefix: '!' }, modules: {}, version: '2' };
 * ```
 */
export type LoadedGuildConfig = Omit<GuildConfig, 'version'> & { version: number | string };

/**
 * Loads one guild's config from the source of truth (the database); `null` if the guild does not exist.
 * What it returns is checked: a wrong or missing field rejects `get` with an `InvalidPayloadError`
 * naming the guild and the field (e.g. `load('123') returned an invalid guild config: version: must
 * be a non-negative safe integer ...`); a digit-string `version` (pg `bigint`) is accepted.
 *
 * @example
 * ```ts
 * const load: GuildConfigLoader = async (guildId) => {
 *   const { rows } = await pool.query('select settings, version from guilds where guild_id = $1', [guildId]);
 *   return rows[0] ? { settings: rows[0].settings, modules: await loadModules(guildId), version: rows[0].version } : null;
 * };
 * ```
 */
export type GuildConfigLoader = (guildId: string) => Promise<GuildConfig | LoadedGuildConfig | null>;

/**
 * Loads the current versions of many guilds in one query (guilds that no longer exist are absent).
 * Versions are checked like `load`'s: numbers, or digit strings (pg `bigint`) coerced when safe.
 *
 * @example
 * ```ts
 * const loadVersions: GuildVersionsLoader = async (ids) => {
 *   const { rows } = await pool.query('select guild_id, version from guilds where guild_id = any($1)', [ids]);
 *   return new Map(rows.map((r) => [r.guild_id, r.version])); // a bigint '2' is fine
 * };
 * ```
 */
export type GuildVersionsLoader = (
  guildIds: readonly string[],
) => Promise<ReadonlyMap<string, number | string>>;

/**
 * Bounds of the in-process L1 of {@link GuildConfigCache}.
 *
 * @example
 * ```ts
 * const l1: GuildConfigL1Options = { max: 50_000, ttlMs: 3_600_000 };
 * ```
 */
export interface GuildConfigL1Options {
  /**
   * Most guild configs kept in process.
   * @defaultValue 10000
   */
  max?: number;
  /**
   * How long a config stays in L1 without an event touching it, in ms (1 hour).
   * @defaultValue 3600000
   */
  ttlMs?: number;
}

/**
 * Options of {@link GuildConfigCache}.
 *
 * @example
 * ```ts
 * const options: GuildConfigCacheOptions = { sync, cache, load, loadVersions, logger };
 * ```
 */
export interface GuildConfigCacheOptions {
  /** The bus whose `config:update`, `module:toggle`, `guild:reload` and `'resync'` drive invalidation. */
  sync: GuildConfigEventSource;
  /**
   * The shared L2 (key `cacheKeys.guildConfig(guildId)` under the manager's `keyPrefix`).
   * Without it the cache goes straight from L1 to `load`.
   */
  cache?: RedisFallbackManager;
  /** Loads a guild from the database. */
  load: GuildConfigLoader;
  /**
   * Current versions of many guilds in one query, used on `'resync'` to reload only what changed.
   * Without it, a resync reloads every cached guild.
   */
  loadVersions?: GuildVersionsLoader;
  /** Bounds of the in-process cache. */
  l1?: GuildConfigL1Options;
  /**
   * TTL of L2 entries and tombstones, in seconds.
   * @defaultValue the manager's `defaultTtlSeconds` (3600)
   */
  l2TtlSeconds?: number;
  /**
   * How many times a fill retries when the database answers with a version older than one an
   * event already announced (e.g. a lagging replica) before the database's answer is served anyway
   * and the announcement is logged as suspect (a forged event cannot make a guild unloadable).
   * That answer is kept in L1 for 30 s at most, then loaded again. Retries whose answer moved
   * forward do not count.
   * @defaultValue 5
   */
  maxStaleLoads?: number;
  /**
   * How many guilds a resync reloads at once.
   * @defaultValue 16
   */
  resyncConcurrency?: number;
  /**
   * A pino-compatible logger.
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Defaults of {@link GuildConfigCacheOptions}.
 *
 * @example
 * ```ts
 * new GuildConfigCache({ sync, cache, load, l1: { max: DefaultGuildConfigCacheOptions.l1.max * 5 } });
 * ```
 */
export const DefaultGuildConfigCacheOptions = {
  l1: { max: 10_000, ttlMs: 3_600_000 },
  maxStaleLoads: 5,
  resyncConcurrency: 16,
} as const satisfies Partial<GuildConfigCacheOptions>;

/**
 * Events of {@link GuildConfigCache}.
 *
 * @example
 * ```ts
 * configs.on('updated', (guildId) => logger.info(`Config update received for guild ${guildId}`));
 * ```
 */
export interface GuildConfigCacheEvents {
  /** A cached guild was reloaded after an event or a resync; `config` is the new one. */
  updated: (guildId: string, config: Readonly<GuildConfig>) => void;
  /**
   * An event or a resync made a guild's cached config stale (`version` is the announced version,
   * `undefined` for `guild:reload` and unversioned events). Fires for guilds not in L1 too.
   */
  invalidated: (guildId: string, version: number | undefined) => void;
  /** A background reload or resync failed (it is logged too; `get` reports its own errors). */
  error: (error: Error) => void;
}

/**
 * Counters of {@link GuildConfigCache}.
 *
 * @example
 * ```ts
 * const { hitRate, loads } = configs.stats();
 * ```
 */
export interface GuildConfigCacheStats {
  /** Configs in L1. */
  size: number;
  /** `get` calls answered from L1. */
  hits: number;
  /** `get` calls that missed L1. */
  misses: number;
  /** `hits / (hits + misses)`. */
  hitRate: number;
  /** Fills answered by L2. */
  l2Hits: number;
  /** Calls of `load`. */
  loads: number;
  /** L2 or `load` answers discarded for being older than a version an event announced. */
  staleDiscarded: number;
  /** Events that invalidated something (a newer version, an unversioned change, `guild:reload`). */
  eventsApplied: number;
  /** Events that were duplicates or older than what was cached. */
  eventsIgnored: number;
  /** Resyncs run. */
  resyncs: number;
}
