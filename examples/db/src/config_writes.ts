import {
  cacheKeys,
  type GuildConfig,
  type Logger,
  type RedisFallbackManager,
  type SyncClient,
} from '@wolaro/sync';
import {
  enqueueClaimed,
  publishAfterCommit,
  RowNotFoundError,
  sql,
  versionedUpdate,
  versionedUpdateStatement,
  type Wakeable,
  withTransaction,
} from '@wolaro/sync/pg';
import type pg from 'pg';
import {
  DEFAULT_MODULES,
  DEFAULT_SETTINGS,
  type GuildSettings,
  isModuleName,
  type ModuleState,
  withDefaultSettings,
} from './defaults.js';
import { DEFAULT_RETENTION } from './retention.js';
import { getRevision, insertRevision, modulesSql, pruneOlderRevisions } from './revisions.js';
import { sessionManagesGuild } from './sessions.js';

/** Where committed events go: the bus, and the relay to wake when the fast path leaves a row to it. */
export interface EventPublisher {
  sync: SyncClient;
  relay?: Wakeable | undefined;
  logger?: Logger | undefined;
  /**
   * How long a published event's outbox mark may wait to share its `UPDATE` with the marks of the
   * writes that follow (the write answers without waiting for it). Default {@link MARK_DELAY_MS};
   * `0` marks each write before it answers.
   */
  markDelayMs?: number | undefined;
  /**
   * The L2 of the bots' guild config caches (same Redis and key prefix). With it, a settings write
   * stores the guild's new config there after COMMIT and before its event goes out, so a bot's
   * reload finds it in the answer to its tombstone: one Redis command, no database query. A cache
   * write that fails costs only that: the bot reads the database, as without this option.
   */
  configCache?: Pick<RedisFallbackManager, 'setJSON'> | undefined;
  /**
   * Whether {@link configCache} sends its commands on the connection {@link sync} publishes on
   * (`RedisTransport.client` of one Redis server). Redis runs a connection's commands in order, so
   * the write sends the store and publishes right away, without waiting for the store's answer:
   * a bot hearing of the version still finds it stored. Otherwise the write waits for the answer
   * before publishing.
   */
  configCacheOnBus?: boolean | undefined;
}

/**
 * The default mark delay of the writes: a steady stream of writes (one every few milliseconds) then
 * marks its rows a handful at a time instead of one statement per write, and a write that dies
 * before its mark costs only a second publish, once its 10 s claim lapses.
 */
export const MARK_DELAY_MS = 20;

/** What every versioned write returns. */
export interface ConfigWriteResult {
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  version: number;
  /** Whether the events went out right after COMMIT (else the outbox relay publishes them). */
  published: boolean;
}

/** The `guilds` row as the versioned writes return it. */
interface GuildRow {
  guild_id: string;
  settings: unknown;
  version: number | string;
}

/** The guild's row of a versioned write: the version bump orders this guild's events. */
const guildRow = (guildId: string, expectedVersion: number | undefined) => ({
  table: 'guilds',
  idColumn: 'guild_id',
  id: guildId,
  expectedVersion,
});

/**
 * The fast path of every versioned write; its statements (the settings write, the published mark)
 * are prepared: each connection parses and plans them once. The marks of consecutive writes are
 * grouped over {@link MARK_DELAY_MS}.
 */
const fastPath = (publisher: EventPublisher) => ({
  relay: publisher.relay,
  preparedStatements: true,
  markDelayMs: publisher.markDelayMs ?? MARK_DELAY_MS,
  ...(publisher.logger ? { logger: publisher.logger } : {}),
});

const DEFAULT_SETTINGS_JSON = JSON.stringify(DEFAULT_SETTINGS);

/**
 * Merges `patch` into a guild's settings: `UPDATE guilds` (version + 1), a `config_revisions` row
 * with the guild's modules, and a `config:update` outbox row with the effective merged settings and
 * the new version, all in ONE statement (`versionedUpdateStatement`), published right after
 * COMMIT.
 *
 * With `authorizedBy`, the same statement also checks that the session is active and may manage
 * the guild ({@link sessionManagesGuild}): a caller that has only checked the session's token
 * needs no query of its own for that.
 *
 * @throws VersionConflictError when `expectedVersion` is given and stale (nothing written)
 * @throws RowNotFoundError when the guild is unknown
 * @throws PreconditionFailedError when `authorizedBy` may not (or no longer) write (nothing written)
 */
export async function updateGuildSettings(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: {
    guildId: string;
    patch: Readonly<Record<string, unknown>>;
    expectedVersion?: number | undefined;
    changedBy: string | null;
    /** Revisions kept for the guild (older ones deleted by this write); default 100, `0` keeps all. */
    revisionsKept?: number | undefined;
    /** The session the write is made under, checked by the write's statement. */
    authorizedBy?: { sessionId: string; userId: string } | undefined;
  },
): Promise<ConfigWriteResult> {
  const { row, version, also, published } = await versionedUpdateStatement<GuildRow & { effective: unknown }>(
    pool,
    publisher.sync,
    {
      ...guildRow(input.guildId, input.expectedVersion),
      set: { settings: sql`settings || ${JSON.stringify(input.patch)}::jsonb`, updated_at: sql`now()` },
      returning: { effective: sql`${DEFAULT_SETTINGS_JSON}::jsonb || settings` },
      precondition: input.authorizedBy && sessionManagesGuild(input.authorizedBy, input.guildId),
      also: {
        revision: sql`INSERT INTO config_revisions (guild_id, version, settings, modules, changed_by, change)
          SELECT guild_id, version, effective, ${modulesSql(sql`updated.guild_id`)}, ${input.changedBy}, 'settings'
            FROM updated RETURNING modules`,
        pruned: pruneOlderRevisions(
          sql`${input.guildId}`,
          sql`(SELECT version FROM updated)`,
          input.revisionsKept ?? DEFAULT_RETENTION.revisionsKept,
        ),
      },
      event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'effective' } },
      ...(publisher.configCache
        ? {
            afterCommit: ({ row, version, also }) => {
              const modules = (also['revision']?.[0] as { modules?: Record<string, ModuleState> } | undefined)
                ?.modules;
              if (modules === undefined) return;
              const settings = withDefaultSettings(row['effective']);
              return storeGuildConfig(publisher, input.guildId, { settings, modules, version });
            },
          }
        : {}),
      ...fastPath(publisher),
    },
  );
  const revision = also['revision']?.[0] as { modules: Record<string, ModuleState> } | undefined;
  return {
    settings: withDefaultSettings(row.effective),
    modules: revision?.modules ?? {},
    version,
    published,
  };
}

/**
 * Stores a committed config in the bots' L2 (a compare-and-set at its version: a newer one stays),
 * in the shape `loadGuildConfig` returns. Never rejects: the write is committed whatever happens
 * here, and a bot that does not find the config in L2 reads it from the database. The store is
 * sent before this returns; with `configCacheOnBus` there is nothing to wait for (Redis runs it
 * before the publish that follows on the same connection), else the returned promise settles with
 * its answer.
 */
function storeGuildConfig(
  publisher: EventPublisher,
  guildId: string,
  config: GuildConfig,
): Promise<void> | undefined {
  const cache = publisher.configCache;
  if (!cache) return undefined;
  let sent: Promise<unknown>;
  try {
    sent = cache.setJSON(cacheKeys.guildConfig(guildId), config, { version: config.version });
  } catch (err) {
    sent = Promise.reject(err);
  }
  const answered = sent.then(
    () => undefined,
    (err: unknown) => {
      publisher.logger?.warn(
        { err, guildId },
        `Guild config ${guildId} not stored in the cache after its write`,
      );
    },
  );
  return publisher.configCacheOnBus === true ? undefined : answered;
}

/**
 * Changes one module of a guild (`enabled` and/or a `config` patch merged into the stored config).
 * The module rides on the guild's version: `guilds.version` is bumped and the module row takes
 * the new version, so every event of a guild is ordered by one number. Publishes `module:toggle`.
 *
 * @throws VersionConflictError / RowNotFoundError (also for an unknown module name)
 */
export async function updateGuildModule(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: {
    guildId: string;
    module: string;
    enabled?: boolean | undefined;
    config?: Record<string, unknown> | undefined;
    expectedVersion?: number | undefined;
    changedBy: string | null;
    /** Revisions kept for the guild (older ones deleted by this write); default 100, `0` keeps all. */
    revisionsKept?: number | undefined;
  },
): Promise<ConfigWriteResult & { module: ModuleState }> {
  const { guildId, module } = input;
  if (!isModuleName(module)) throw new RowNotFoundError('guild_modules', `${guildId}/${module}`);
  const { row, version, prepared, published } = await versionedUpdate(pool, publisher.sync, {
    ...guildRow(guildId, input.expectedVersion),
    set: { updated_at: sql`now()` },
    prepare: async (client, row: GuildRow) => {
      const version = Number(row.version);
      const { rows } = await client.query<{ enabled: boolean; config: Record<string, unknown> }>(
        `INSERT INTO guild_modules (guild_id, name, enabled, config, version)
         VALUES ($1, $2, COALESCE($3::boolean, $4::boolean), COALESCE($5::jsonb, '{}'::jsonb), $6)
         ON CONFLICT (guild_id, name) DO UPDATE
           SET enabled = COALESCE($3::boolean, guild_modules.enabled),
               config = guild_modules.config || COALESCE($5::jsonb, '{}'::jsonb),
               version = EXCLUDED.version
         RETURNING enabled, config`,
        [
          guildId,
          module,
          input.enabled ?? null,
          DEFAULT_MODULES[module].enabled,
          input.config === undefined ? null : JSON.stringify(input.config),
          version,
        ],
      );
      const state: ModuleState = { enabled: rows[0]!.enabled, config: rows[0]!.config ?? {} };
      const modules = await insertRevision(client, {
        guildId,
        version,
        settings: withDefaultSettings(row.settings),
        changedBy: input.changedBy,
        change: `module:${module}`,
        revisionsKept: input.revisionsKept ?? DEFAULT_RETENTION.revisionsKept,
      });
      return { state, modules };
    },
    event: (_row, { state }) => ({
      channel: 'module:toggle',
      payload: { guildId, module, enabled: state.enabled, config: state.config },
    }),
    ...fastPath(publisher),
  });
  return {
    settings: withDefaultSettings(row.settings),
    modules: prepared.modules,
    version,
    module: prepared.state,
    published,
  };
}

/**
 * Restores a revision as a new versioned write: settings and modules are set to the revision's,
 * the guild gets a new version and revision (`restore:<version>`), and `config:update` plus
 * `guild:reload` go out (modules changed too, so consumers reload everything).
 *
 * @throws VersionConflictError / RowNotFoundError (unknown guild or revision)
 */
export async function restoreRevision(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: {
    guildId: string;
    revision: number;
    expectedVersion?: number | undefined;
    changedBy: string | null;
    /** Revisions kept for the guild (older ones deleted by this write); default 100, `0` keeps all. */
    revisionsKept?: number | undefined;
  },
): Promise<ConfigWriteResult & { restored: number }> {
  const { guildId, revision } = input;
  const saved = await getRevision(pool, guildId, revision);
  if (!saved) throw new RowNotFoundError('config_revisions', `${guildId}@${revision}`);
  const { version, prepared, published } = await versionedUpdate(pool, publisher.sync, {
    ...guildRow(guildId, input.expectedVersion),
    set: { settings: JSON.stringify(saved.settings), updated_at: sql`now()` },
    prepare: async (client, row: GuildRow) => {
      const version = Number(row.version);
      const settings = withDefaultSettings(row.settings);
      for (const [name, state] of Object.entries(saved.modules)) {
        if (!isModuleName(name)) continue;
        await client.query(
          `INSERT INTO guild_modules (guild_id, name, enabled, config, version) VALUES ($1, $2, $3, $4::jsonb, $5)
           ON CONFLICT (guild_id, name) DO UPDATE
             SET enabled = EXCLUDED.enabled, config = EXCLUDED.config, version = EXCLUDED.version`,
          [guildId, name, state.enabled === true, JSON.stringify(state.config ?? {}), version],
        );
      }
      const modules = await insertRevision(client, {
        guildId,
        version,
        settings,
        changedBy: input.changedBy,
        change: `restore:${revision}`,
        revisionsKept: input.revisionsKept ?? DEFAULT_RETENTION.revisionsKept,
      });
      return { settings, modules };
    },
    event: (_row, { settings }) => [
      { channel: 'config:update', payload: { guildId, settings } },
      { channel: 'guild:reload', payload: { guildId, reason: `Revision ${revision} restored` } },
    ],
    ...fastPath(publisher),
  });
  return { ...prepared, version, restored: revision, published };
}

/**
 * The force reload (`POST /api/panel/guilds/:id/sync`): a `guild:reload` through the outbox, so it
 * is not lost if the bus is down.
 */
export async function requestGuildReload(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: { guildId: string; reason: string },
): Promise<{ published: boolean }> {
  const event = await withTransaction(pool, (client) =>
    enqueueClaimed(client, 'guild:reload', { guildId: input.guildId, reason: input.reason }),
  );
  return { published: await publishAfterCommit(pool, publisher.sync, event, fastPath(publisher)) };
}
