import { EventEmitter } from 'eventemitter3';
import { z } from 'zod';
import {
  checkOptions,
  durationMs,
  functionSchema,
  loggerSchema,
  positiveNumber,
  withMethods,
} from '../internal/options.js';
import { toError } from '../internal/to_error.js';
import { cacheKeys } from '../keys/cache_keys.js';
import { type Logger, silentLogger } from '../logger.js';
import {
  DefaultGuildConfigCacheOptions as Defaults,
  type GuildConfigCacheEvents,
  type GuildConfigCacheOptions,
  type GuildConfigCacheStats,
  type GuildConfigEventSource,
} from './guild_config_options.js';
import { type Config, GuildConfigStore } from './guild_config_store.js';

/** What the cache reads from `config:update` and `module:toggle`. */
interface VersionedEvent {
  guildId: string;
  version?: number | undefined;
  eventId?: string | undefined;
  origin?: string | undefined;
}

const guildConfigCacheSchema = z.object({
  sync: withMethods(['subscribe', 'on', 'off'], 'must be a SyncClient (subscribe/on/off methods)'),
  cache: withMethods(
    ['getJSONEntry', 'setJSON', 'invalidate', 'del'],
    'must be a RedisFallbackManager',
  ).optional(),
  load: functionSchema('guildId => Promise<GuildConfig | null>'),
  loadVersions: functionSchema('guildIds => Promise<Map<guildId, version>>').optional(),
  l1: z.object({ max: z.number().int().positive().optional(), ttlMs: durationMs.optional() }).optional(),
  l2TtlSeconds: positiveNumber.optional(),
  maxStaleLoads: z.number().int().nonnegative().optional(),
  resyncConcurrency: z.number().int().positive().optional(),
  logger: loggerSchema.optional(),
});

/**
 * Read-through guild configuration for bots and APIs: in-process L1 (parsed, frozen objects) →
 * `RedisFallbackManager` L2 → your `load` (the database), kept fresh by the sync events.
 *
 * Guarantees:
 * - `peek` and `get` on an L1 hit cost one LRU lookup: no parsing, no I/O.
 * - Concurrent misses of a guild share one fill (one `load` per process).
 * - Version floor: once the handler of an event announcing version `v` of a guild has run, `get`
 *   never returns an older version of it: L1 entries below `v` are dropped at once, and an L2 or
 *   `load` answer below `v` (a slow fill that started earlier) is discarded and reloaded.
 * - The database is the truth: if it keeps answering below an announced version (`maxStaleLoads`
 *   retries), the announcement is treated as suspect (a forged event, or a replica lagging far
 *   behind): its row is served, the floor drops to it, and a warning names the event. A forged
 *   `config:update` with a huge version never makes a guild unloadable.
 * - On `'resync'` (the bus was down and events may be lost) one `loadVersions` query finds the cached
 *   guilds that changed; only those are reloaded. L2 entries written before the resync are checked
 *   against the database before use.
 *
 * @example
 * ```ts
 * import { GuildConfigCache, RedisFallbackManager, SyncClient } from '@wolaro/sync';
 *
 * const sync = new SyncClient({ redis: process.env.REDIS_URL });
 * const cache = new RedisFallbackManager({ redis: process.env.REDIS_URL! });
 * const configs = new GuildConfigCache({ sync, cache, load: (id) => db.loadGuildConfig(id), loadVersions: db.loadVersions });
 * await configs.start();
 * await sync.connect();
 * configs.on('updated', (guildId) => logger.info(`Config update received for guild ${guildId}`));
 *
 * client.on('messageCreate', (msg) => {
 *   const prefix = (configs.peek(msg.guildId!)?.settings['prefix'] as string | undefined) ?? '!';
 * });
 * const cfg = await configs.get('123');
 * ```
 */
export class GuildConfigCache extends EventEmitter<GuildConfigCacheEvents> {
  readonly #store: GuildConfigStore;
  /** The store's L1, held here too so the hot paths are one lookup. */
  readonly #l1: GuildConfigStore['l1'];
  readonly #announced = new WeakSet<Config>();
  readonly #sync: GuildConfigEventSource;
  readonly #logger: Logger;
  readonly #concurrency: number;
  #offs: (() => void)[] = [];
  #resyncing: Promise<void> | undefined;
  #resyncAgain = false;
  #resyncFailures = 0;
  #resyncRetry: NodeJS.Timeout | undefined;
  #hits = 0;
  #misses = 0;
  readonly #stats = { eventsApplied: 0, eventsIgnored: 0, resyncs: 0 };
  readonly #onResync = (): void => void this.resync();

  constructor(options: GuildConfigCacheOptions) {
    super();
    checkOptions('GuildConfigCache', guildConfigCacheSchema, options);
    this.#sync = options.sync;
    this.#logger = options.logger ?? silentLogger;
    this.#store = new GuildConfigStore({
      cache: options.cache,
      load: options.load,
      loadVersions: options.loadVersions,
      logger: this.#logger,
      l1Max: options.l1?.max ?? Defaults.l1.max,
      l1TtlMs: options.l1?.ttlMs ?? Defaults.l1.ttlMs,
      l2TtlSeconds: options.l2TtlSeconds ?? options.cache?.defaultTtlSeconds ?? 3600,
      maxStaleLoads: options.maxStaleLoads ?? Defaults.maxStaleLoads,
    });
    this.#l1 = this.#store.l1;
    this.#concurrency = Math.max(1, options.resyncConcurrency ?? Defaults.resyncConcurrency);
  }

  /**
   * Subscribes to `config:update`, `module:toggle`, `guild:reload` and the client's `'resync'`.
   * Idempotent. Call it before `sync.connect()` so no event is missed. L2 entries written before
   * `start()` are checked against `loadVersions` before use, since this process could not see the
   * events that may have outdated them (e.g. a bot restarted after a config change).
   *
   * @example
   * ```ts
   * await configs.start();
   * ```
   */
  async start(): Promise<void> {
    if (this.#offs.length > 0) return;
    // A process that starts (or restarts) missed every event before now: L2 entries written before
    // it are confirmed against the database versions (one cheap query) before they are served.
    // No clock-skew margin here: anything written after this point is followed by the events we see.
    this.#store.distrustL2(0);
    const versioned = (e: VersionedEvent): void => {
      if (e.version === undefined) this.#onUnversioned(e.guildId);
      else
        this.#onVersion(
          e.guildId,
          e.version,
          `event ${e.eventId ?? '(no id)'} from ${e.origin ?? '(no origin)'}`,
        );
    };
    this.#offs = [
      this.#sync.subscribe('config:update', versioned),
      this.#sync.subscribe('module:toggle', versioned),
      this.#sync.subscribe('guild:reload', (e) => this.#onUnversioned(e.guildId)),
    ];
    this.#sync.on('resync', this.#onResync);
  }

  /**
   * Unsubscribes and empties L1 (without events it could no longer be trusted). Idempotent;
   * `start()` again to resume. The `SyncClient` and the `RedisFallbackManager` stay open (they are
   * yours; `createGuildConfigSync` closes all three).
   *
   * @example
   * ```ts
   * await configs.close();
   * ```
   */
  async close(): Promise<void> {
    this.stop();
  }

  /**
   * Synchronous form of {@link GuildConfigCache.close}, kept for existing callers.
   *
   * @example
   * ```ts
   * configs.stop();
   * ```
   */
  stop(): void {
    for (const off of this.#offs.splice(0)) off();
    this.#sync.off('resync', this.#onResync);
    clearTimeout(this.#resyncRetry);
    this.#store.clear();
  }

  /**
   * The cached config of a guild, synchronously, or `undefined` if it is not in L1: never loads.
   * For hot paths (every message needs the prefix). Throws `InvalidKeyError` for a malformed id.
   *
   * @example
   * ```ts
   * const prefix = (configs.peek(guildId)?.settings['prefix'] as string | undefined) ?? '!';
   * ```
   */
  peek(guildId: string): Config | undefined {
    const hit = this.#l1.get(guildId);
    if (hit !== undefined) return hit;
    cacheKeys.guildConfig(guildId); // only valid ids are ever cached: validate on the miss path only
    return undefined;
  }

  /**
   * A guild's config: L1, else L2, else `load` (concurrent misses share one fill). `null` if the guild
   * does not exist. Rejects with `InvalidKeyError` for a malformed id and with the loader's error when
   * the database fails. When the database keeps answering older than an announced version, its
   * answer is served after `maxStaleLoads` retries (the announcement is logged as suspect).
   *
   * @example
   * ```ts
   * const cfg = await configs.get('123');
   * if (cfg?.modules['moderation']?.enabled) ...
   * ```
   */
  async get(guildId: string): Promise<Config | null> {
    const hit = this.#l1.get(guildId);
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    this.#misses++;
    return this.#store.fetch(guildId, false);
  }

  /**
   * Drops a guild from L1 and L2; the next `get` loads it from the database.
   *
   * @example
   * ```ts
   * await configs.invalidate('123');
   * ```
   */
  invalidate(guildId: string): Promise<void> {
    return this.#store.invalidate(guildId);
  }

  /**
   * Revalidates every cached guild against the database (what `'resync'` triggers): one
   * `loadVersions` query, then only changed guilds are reloaded; without `loadVersions` all are.
   *
   * @example
   * ```ts
   * await configs.resync(); // e.g. after restoring a database backup
   * ```
   */
  resync(): Promise<void> {
    if (this.#resyncing) {
      this.#resyncAgain = true;
      return this.#resyncing;
    }
    this.#resyncing = (async () => {
      do {
        this.#resyncAgain = false;
        await this.#revalidate();
      } while (this.#resyncAgain);
    })().finally(() => {
      this.#resyncing = undefined;
    });
    return this.#resyncing;
  }

  /**
   * The minimum version `get` may return for a guild (from events and resyncs), `undefined` if none.
   *
   * @example
   * ```ts
   * configs.floor('123'); // 8 after a config:update with version 8
   * ```
   */
  floor(guildId: string): number | undefined {
    return this.#store.floor(guildId);
  }

  /**
   * Counters since creation.
   *
   * @example
   * ```ts
   * console.log(configs.stats().hitRate);
   * ```
   */
  stats(): GuildConfigCacheStats {
    const total = this.#hits + this.#misses;
    return {
      size: this.#l1.size,
      hits: this.#hits,
      misses: this.#misses,
      hitRate: total === 0 ? 0 : this.#hits / total,
      ...this.#store.stats,
      ...this.#stats,
    };
  }

  #onVersion(guildId: string, version: number, source: string): void {
    const outcome = this.#store.raiseFloor(guildId, version, source);
    if (outcome === 'known') {
      this.#stats.eventsIgnored++;
      return;
    }
    this.#stats.eventsApplied++;
    this.emit('invalidated', guildId, version);
    if (outcome === 'reload') void this.#refresh(guildId, false);
  }

  #onUnversioned(guildId: string): void {
    this.#stats.eventsApplied++;
    const reload = this.#store.dropUnversioned(guildId);
    this.emit('invalidated', guildId, undefined);
    if (reload) void this.#refresh(guildId, true);
  }

  /**
   * Reloads a guild in the background (joining a fill in progress, which re-checks the floor) and
   * emits `updated` once per new config object.
   */
  async #refresh(guildId: string, skipL2: boolean): Promise<void> {
    try {
      const config = await this.#store.fetch(guildId, skipL2);
      if (config && !this.#announced.has(config)) {
        this.#announced.add(config);
        this.emit('updated', guildId, config);
      }
    } catch (err) {
      const error = toError(err);
      this.#logger.warn(
        { err: error, guildId },
        `Reloading the config of guild ${guildId} failed: ${error.message}`,
      );
      this.emit('error', error);
    }
  }

  async #revalidate(): Promise<void> {
    this.#stats.resyncs++;
    clearTimeout(this.#resyncRetry);
    this.#store.distrustL2();
    const ids = [...this.#l1.keys()];
    if (ids.length === 0) return;
    if (!this.#store.hasVersionsLoader) {
      await this.#forEach(ids, (id) => this.#refresh(id, true));
      return;
    }
    let versions: ReadonlyMap<string, number>;
    try {
      versions = await this.#store.loadVersions(ids);
      this.#resyncFailures = 0;
    } catch (err) {
      const delay = Math.min(30_000, 1000 * 2 ** this.#resyncFailures++);
      this.#logger.warn({ err, retryInMs: delay }, 'Guild config resync failed, retrying');
      this.emit('error', toError(err));
      this.#resyncRetry = setTimeout(() => void this.resync(), delay);
      this.#resyncRetry.unref();
      return;
    }
    const changed: string[] = [];
    for (const id of ids) {
      const version = versions.get(id);
      if (version === undefined) {
        this.#store.forget(id); // gone from the database
      } else if (this.#store.raiseFloor(id, version) !== 'known') {
        this.emit('invalidated', id, version);
        changed.push(id);
      }
    }
    await this.#forEach(changed, (id) => this.#refresh(id, false));
  }

  async #forEach(ids: readonly string[], fn: (id: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) await fn(ids[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, ids.length) }, worker));
  }
}
