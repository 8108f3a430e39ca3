import { LRUCache } from 'lru-cache';
import { cacheKeys } from '../keys/cache_keys.js';
import type { Logger } from '../logger.js';
import type { RedisFallbackManager } from './fallback.js';
import type { CacheEntry, InvalidateResult } from './fallback_options.js';
import { type GuildConfig, isGuildConfig } from './guild_config.js';
import type { GuildConfigLoader, GuildVersionsLoader } from './guild_config_options.js';
import { checkLoadedConfig, checkLoadedVersions } from './loaded_config.js';

/** A cached config: frozen, shared by every caller. */
export type Config = Readonly<GuildConfig>;

/** One in-progress fill of a guild, shared by every concurrent miss (single-flight). */
interface Flight {
  promise: Promise<Config | null>;
  /** Set by an unversioned invalidation (or a resync) while the fill runs: its answer may predate it. */
  stale: boolean;
  skipL2: boolean;
}

/** Writers' clocks may differ this much; L2 entries written up to it after a resync are re-checked too. */
const CLOCK_SKEW_MS = 5000;
const MAX_FILL_ROUNDS = 50;
/**
 * A database row accepted below an announced version stays in L1 this long at most, then is
 * loaded again: if the announcement was real (a replica lagging past the retries), the newer
 * version wins at the next load; if it was forged, this costs one load per period.
 */
const SUSPECT_L1_TTL_MS = 30_000;

/** What {@link GuildConfigStore} is built from (resolved `GuildConfigCacheOptions`). */
export interface GuildConfigStoreOptions {
  cache: RedisFallbackManager | undefined;
  load: GuildConfigLoader;
  loadVersions: GuildVersionsLoader | undefined;
  logger: Logger;
  l1Max: number;
  l1TtlMs: number;
  l2TtlSeconds: number;
  maxStaleLoads: number;
}

/**
 * The data side of `GuildConfigCache` (internal): L1, the per-guild version floors, single-flight
 * fills through L2 and `load`, and the invalidations. Invariant: every L1 entry is at or above its
 * guild's floor, so an L1 hit needs no check.
 */
export class GuildConfigStore {
  /** The L1: read directly by the hot paths. */
  readonly l1: LRUCache<string, Config>;
  readonly stats = { l2Hits: 0, loads: 0, staleDiscarded: 0 };
  readonly #floors: LRUCache<string, number>;
  /** Who announced each guild's floor (event id and origin), for the suspect-event warning. */
  readonly #floorSources: LRUCache<string, string>;
  /** `guildId:version` of suspect announcements already logged: warn once per guild and event. */
  readonly #suspectLogged = new LRUCache<string, true>({ max: 1000 });
  readonly #flights = new Map<string, Flight>();
  readonly #cache: RedisFallbackManager | undefined;
  readonly #load: GuildConfigLoader;
  readonly #loadVersions: GuildVersionsLoader | undefined;
  readonly #logger: Logger;
  readonly #l2TtlSeconds: number;
  readonly #maxStaleLoads: number;
  readonly #l1TtlMs: number;
  #suspectBefore = 0;
  #suspectUntil = 0;
  /**
   * The L2 tombstones this process wrote (or tried to) for the reloads its events started, with
   * what the compare-and-set answered: while L2 holds only that tombstone, the reload goes to the
   * database at once; when L2 already held that version or a newer one (a writer stored it before
   * announcing it), the reload uses the value the same command returned. A `Map`
   * bounded by insertion order, not an `LRUCache`: entries live from an event to its reload, so the
   * map is usually emptied by each reload, and `LRUCache` clears all its preallocated slots (O(max))
   * whenever a delete empties it.
   */
  readonly #tombstones = new Map<
    string,
    { version: number; outcome: Promise<InvalidateResult | undefined> }
  >();
  readonly #tombstonesMax: number;
  /** Versions confirmed against the database since the last distrust: not asked again. */
  readonly #confirmed = new Map<string, number>();

  constructor(options: GuildConfigStoreOptions) {
    this.l1 = new LRUCache<string, Config>({ max: options.l1Max, ttl: options.l1TtlMs });
    // Floors outlive L1 entries (an event may concern a guild not cached here yet); numbers are cheap.
    this.#floors = new LRUCache<string, number>({ max: Math.max(options.l1Max * 4, 10_000) });
    this.#floorSources = new LRUCache<string, string>({ max: Math.max(options.l1Max * 4, 10_000) });
    this.#tombstonesMax = Math.max(options.l1Max, 1000);
    this.#cache = options.cache;
    this.#load = options.load;
    this.#loadVersions = options.loadVersions;
    this.#logger = options.logger;
    this.#l2TtlSeconds = options.l2TtlSeconds;
    this.#maxStaleLoads = options.maxStaleLoads;
    this.#l1TtlMs = options.l1TtlMs;
  }

  get hasVersionsLoader(): boolean {
    return this.#loadVersions !== undefined;
  }

  /** Current versions of many guilds (the caller handles errors). */
  loadVersions(ids: readonly string[]): Promise<ReadonlyMap<string, number>> {
    return this.#loadVersions
      ? this.#loadVersions(ids).then(checkLoadedVersions)
      : Promise.resolve(new Map());
  }

  floor(guildId: string): number | undefined {
    return this.#floors.peek(guildId);
  }

  /** Drops a guild from L1 and L2 (a fill in progress reloads). */
  async invalidate(guildId: string): Promise<void> {
    const key = cacheKeys.guildConfig(guildId);
    this.l1.delete(guildId);
    const flight = this.#flights.get(guildId);
    if (flight) flight.stale = true;
    await this.#cache?.del(key);
  }

  /**
   * An unversioned change: drops L1 and L2, makes a fill in progress reload. Returns whether the
   * guild was cached or being loaded (then it should be reloaded).
   */
  dropUnversioned(guildId: string): boolean {
    const cached = this.l1.delete(guildId);
    const flight = this.#flights.get(guildId);
    if (flight) flight.stale = true;
    this.#cache
      ?.del(cacheKeys.guildConfig(guildId))
      .catch((err: unknown) => this.#logger.warn({ err, guildId }, 'Guild config L2 invalidation failed'));
    return cached || flight !== undefined;
  }

  /**
   * After a resync: L2 entries written before now are checked against the database before use
   * (until they have all expired), and fills in progress reload.
   */
  distrustL2(skewMs: number = CLOCK_SKEW_MS): void {
    const now = Date.now();
    this.#suspectBefore = now + skewMs;
    this.#suspectUntil = now + this.#l2TtlSeconds * 1000;
    this.#confirmed.clear();
    for (const flight of this.#flights.values()) flight.stale = true;
  }

  /** Forgets a guild that no longer exists. */
  forget(guildId: string): void {
    this.l1.delete(guildId);
    void this.#cache?.del(cacheKeys.guildConfig(guildId)).catch(() => {});
  }

  clear(): void {
    this.l1.clear();
  }

  /** The config from L2 or `load`, at or above the floor; concurrent calls share one fill. */
  fetch(guildId: string, skipL2: boolean): Promise<Config | null> {
    const key = cacheKeys.guildConfig(guildId);
    const existing = this.#flights.get(guildId);
    if (existing) {
      if (skipL2) existing.stale = true;
      return existing.promise;
    }
    const flight: Flight = { promise: Promise.resolve(null), stale: false, skipL2 };
    this.#flights.set(guildId, flight);
    flight.promise = this.#fill(guildId, key, flight).finally(() => {
      if (this.#flights.get(guildId) === flight) this.#flights.delete(guildId);
    });
    return flight.promise;
  }

  async #fill(guildId: string, key: string, flight: Flight): Promise<Config | null> {
    let useL2 = this.#cache !== undefined && !flight.skipL2;
    let staleLoads = 0;
    let lastVersion = -1;
    for (let round = 1; ; round++) {
      flight.stale = false;
      if (useL2) {
        useL2 = false;
        const fromL2 = await this.#fromL2(guildId, key);
        if (fromL2 !== undefined && !flight.stale) {
          if (fromL2.version >= this.#floorOf(guildId)) {
            this.stats.l2Hits++;
            return this.#install(guildId, fromL2);
          }
          this.stats.staleDiscarded++;
        }
      }
      this.stats.loads++;
      flight.stale = false;
      const loaded = checkLoadedConfig(guildId, await this.#load(guildId));
      if (flight.stale && round < MAX_FILL_ROUNDS) continue; // invalidated while loading: its answer may predate it
      if (loaded === null) return null;
      const floor = this.#floorOf(guildId);
      if (loaded.version >= floor) {
        const installed = this.#install(guildId, loaded);
        if (installed === loaded) this.#writeL2(key, loaded);
        return installed;
      }
      this.stats.staleDiscarded++;
      // A load that started before the event is simply repeated; a database that keeps answering
      // older than the announced version (a lagging replica) gets a few backed-off retries, then fails.
      if (loaded.version <= lastVersion) staleLoads++;
      lastVersion = loaded.version;
      if (staleLoads >= this.#maxStaleLoads || round >= MAX_FILL_ROUNDS) {
        return this.#acceptBelowFloor(guildId, key, floor, loaded);
      }
      if (staleLoads > 0) await new Promise((r) => setTimeout(r, 10 * 2 ** staleLoads));
    }
  }

  /**
   * The guild's config in L2, if any. When this process's tombstone for the floor is pending, its
   * compare-and-set already answered: written means L2 held nothing at that version or above, so
   * the database is read at once (another process may store that version meanwhile; reading the
   * database instead is always correct); kept means L2 holds a newer entry, returned by the same
   * command, so nothing is read again.
   */
  async #fromL2(guildId: string, key: string): Promise<GuildConfig | undefined> {
    const tombstone = this.#tombstones.get(guildId);
    if (tombstone !== undefined) {
      this.#tombstones.delete(guildId);
      if (tombstone.version >= this.#floorOf(guildId)) {
        const outcome = await tombstone.outcome;
        if (outcome?.written === true) return undefined;
        if (outcome?.entry) return this.#parseKept(guildId, key, outcome.entry);
      }
    }
    return this.#readL2(guildId, key);
  }

  /** The entry a tombstone's compare-and-set kept, parsed and checked as {@link #readL2} does. */
  #parseKept(guildId: string, key: string, entry: CacheEntry): Promise<GuildConfig | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(entry.value);
    } catch {
      value = undefined;
    }
    return this.#checkL2(guildId, key, { value, version: entry.version, writtenAt: entry.writtenAt });
  }

  async #readL2(guildId: string, key: string): Promise<GuildConfig | undefined> {
    const cache = this.#cache;
    if (!cache) return undefined;
    let entry: CacheEntry<unknown> | null;
    try {
      entry = await cache.getJSONEntry<unknown>(key);
    } catch (err) {
      this.#logger.warn({ err, guildId }, `Guild config L2 read failed for guild ${guildId}`);
      return undefined;
    }
    if (entry === null) return undefined;
    return this.#checkL2(guildId, key, entry);
  }

  /** An L2 entry as a config: corrupted ones are dropped, suspect ones confirmed first. */
  async #checkL2(guildId: string, key: string, entry: CacheEntry<unknown>): Promise<GuildConfig | undefined> {
    const cache = this.#cache;
    if (!cache) return undefined;
    const value = entry.value;
    if (!isGuildConfig(value) || (entry.version !== undefined && entry.version !== value.version)) {
      this.#logger.warn({ guildId }, `Corrupted guild config in L2 for guild ${guildId}, reloading`);
      void cache.del(key).catch(() => {});
      return undefined;
    }
    if (this.#isSuspect(entry.writtenAt) && !(await this.#confirm(guildId, value.version))) return undefined;
    return value;
  }

  /** After a resync, L2 entries written before it may predate changes whose events were lost. */
  #isSuspect(writtenAt: number | undefined): boolean {
    if (this.#suspectBefore === 0 || Date.now() >= this.#suspectUntil) return false;
    return writtenAt === undefined || writtenAt < this.#suspectBefore;
  }

  async #confirm(guildId: string, version: number): Promise<boolean> {
    if (!this.#loadVersions) return false;
    if (this.#confirmed.get(guildId) === version) return true;
    try {
      const ok = (await this.loadVersions([guildId])).get(guildId) === version;
      if (ok) {
        // Bounded: the suspect window ends after one L2 TTL and every distrust starts afresh.
        if (this.#confirmed.size >= 100_000) this.#confirmed.clear();
        this.#confirmed.set(guildId, version);
      }
      return ok;
    } catch {
      return false;
    }
  }

  /**
   * The database keeps answering below the announced version: the database is the truth, so the
   * announcement was forged (anyone who can publish on the bus can claim any version) or is far
   * ahead of a lagging replica. Serve the database's row, lower the floor to it (a later real
   * version still wins), drop the L2 tombstone the announcement left, and warn once.
   */
  #acceptBelowFloor(guildId: string, key: string, floor: number, loaded: GuildConfig): Config {
    this.#floors.set(guildId, loaded.version);
    const source = this.#floorSources.get(guildId);
    this.#floorSources.delete(guildId);
    const logKey = `${guildId}:${floor}`;
    if (!this.#suspectLogged.has(logKey)) {
      this.#suspectLogged.set(logKey, true);
      this.#logger.warn(
        { guildId, announcedVersion: floor, databaseVersion: loaded.version, source },
        `Suspect event for guild ${guildId}: it announced version ${floor} but the database has ${loaded.version}; using the database`,
      );
    }
    this.#cache?.del(key).catch(() => {});
    return this.#install(guildId, loaded, SUSPECT_L1_TTL_MS);
  }

  #install(guildId: string, config: GuildConfig, ttlMs?: number): Config {
    const current = this.l1.peek(guildId);
    if (current !== undefined && current.version > config.version) return current;
    const frozen = freezeConfig(config);
    if (ttlMs === undefined) this.l1.set(guildId, frozen);
    else this.l1.set(guildId, frozen, { ttl: Math.min(ttlMs, this.#l1TtlMs) });
    return frozen;
  }

  #writeL2(key: string, config: GuildConfig): void {
    this.#cache
      ?.setJSON(key, config, { version: config.version, ttlSeconds: this.#l2TtlSeconds })
      .catch((err: unknown) => this.#logger.warn({ err, key }, 'Guild config L2 write failed'));
  }

  #floorOf(guildId: string): number {
    return this.#floors.get(guildId) ?? -1;
  }

  /**
   * Records that `version` exists. If it is newer than anything known here, drops the stale L1 entry
   * and leaves a tombstone in L2. Returns `'known'` (nothing newer), `'newer'`, or `'reload'` (newer,
   * and the guild was cached or being loaded). Called synchronously from the event handler: the
   * floor holds from then on.
   */
  raiseFloor(guildId: string, version: number, source?: string): 'known' | 'newer' | 'reload' {
    const floor = this.#floors.get(guildId) ?? -1;
    const current = this.l1.peek(guildId);
    if (version > floor) {
      this.#floors.set(guildId, version);
      if (source === undefined) this.#floorSources.delete(guildId);
      else this.#floorSources.set(guildId, source);
    }
    if (version <= Math.max(floor, current?.version ?? -1)) {
      // Newer than what is held but below a higher floor (one a load may yet prove false): a fill
      // in progress loads again, so it cannot settle on an answer older than this version.
      const flight =
        version < floor && version > (current?.version ?? -1) ? this.#flights.get(guildId) : undefined;
      if (flight) flight.stale = true;
      return 'known';
    }
    if (current !== undefined) this.l1.delete(guildId);
    const cache = this.#cache;
    if (!cache) return current === undefined && !this.#flights.has(guildId) ? 'newer' : 'reload';
    const key = cacheKeys.guildConfig(guildId);
    const failed = (err: unknown) => {
      this.#logger.warn({ err, guildId }, 'Guild config L2 invalidation failed');
      return undefined;
    };
    if (current === undefined && !this.#flights.has(guildId)) {
      cache.invalidate(key, version, this.#l2TtlSeconds).catch(failed);
      return 'newer';
    }
    const outcome = cache.invalidateOrGet(key, version, this.#l2TtlSeconds).catch(failed);
    this.#tombstones.delete(guildId); // a newer tombstone of the same guild takes its place
    if (this.#tombstones.size >= this.#tombstonesMax) {
      this.#tombstones.delete(this.#tombstones.keys().next().value!);
    }
    this.#tombstones.set(guildId, { version, outcome });
    return 'reload';
  }
}

/** Deep-freezes a config so callers sharing the cached object cannot change it for everyone. */
function freezeConfig<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeConfig(child);
  }
  return value;
}
