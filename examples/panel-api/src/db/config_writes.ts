import { randomUUID } from 'node:crypto';
import { type Logger, type SyncClient, VersionConflictError } from '@wolaro/sync';
import {
  type ClaimedOutboxEvent,
  DefaultEnqueueClaimedOptions,
  enqueueClaimed,
  OUTBOX_TABLE,
  publishAfterCommit,
  RowNotFoundError,
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
import { DEFAULT_MODULES_JSON, getRevision, insertRevision, modulesSql } from './revisions.js';
import { toVersion } from './types.js';

/** Where committed events go: the bus, and the relay to wake when the fast path leaves a row to it. */
export interface EventPublisher {
  sync: SyncClient;
  relay?: Wakeable | undefined;
  logger?: Logger | undefined;
}

/** What every versioned write returns. */
export interface ConfigWriteResult {
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  version: number;
  /** Whether the events went out right after COMMIT (else the outbox relay publishes them). */
  published: boolean;
}

/**
 * Bumps the guild's version (the row lock orders this guild's writers, hence its outbox rows) and
 * optionally changes its settings. A stale `expectedVersion` → `VersionConflictError` with the
 * current version; an unknown guild → `RowNotFoundError`. Either rolls the transaction back.
 */
async function bumpGuild(
  client: pg.PoolClient,
  guildId: string,
  expectedVersion: number | undefined,
  settings: { merge: Record<string, unknown> } | { replace: Record<string, unknown> } | undefined,
): Promise<{ settings: GuildSettings; version: number }> {
  const params: unknown[] = [guildId, expectedVersion ?? null];
  let expression = 'settings';
  if (settings !== undefined) {
    params.push(JSON.stringify('merge' in settings ? settings.merge : settings.replace));
    expression = 'merge' in settings ? 'settings || $3::jsonb' : '$3::jsonb';
  }
  const { rows } = await client.query<{ settings: unknown; version: string }>(
    `UPDATE guilds SET settings = ${expression}, version = version + 1, updated_at = now()
      WHERE guild_id = $1 AND ($2::bigint IS NULL OR version = $2::bigint)
      RETURNING settings, version`,
    params,
  );
  const row = rows[0];
  if (row) return { settings: withDefaultSettings(row.settings), version: toVersion(row.version) };
  const current = await client.query<{ version: string }>('SELECT version FROM guilds WHERE guild_id = $1', [
    guildId,
  ]);
  const found = current.rows[0];
  if (found && expectedVersion !== undefined) {
    throw new VersionConflictError(guildId, expectedVersion, toVersion(found.version));
  }
  throw new RowNotFoundError('guilds', guildId);
}

/**
 * Publishes the committed events this process claimed (the fast path); a relay gets whatever
 * fails, at once.
 */
async function publishCommitted(
  pool: pg.Pool,
  publisher: EventPublisher,
  events: readonly ClaimedOutboxEvent[],
): Promise<boolean> {
  let published = true;
  for (const event of events) {
    const ok = await publishAfterCommit(pool, publisher.sync, event, {
      relay: publisher.relay,
      ...(publisher.logger ? { logger: publisher.logger } : {}),
    });
    published &&= ok;
  }
  return published;
}

/**
 * Merges `patch` into a guild's settings in one transaction: `UPDATE guilds` (version + 1), a
 * `config_revisions` row and a `config:update` outbox row with the full merged settings and the
 * new version; published right after COMMIT.
 *
 * @throws VersionConflictError when `expectedVersion` is given and stale (nothing written)
 * @throws RowNotFoundError when the guild is unknown
 */
export async function updateGuildSettings(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: {
    guildId: string;
    patch: Readonly<Record<string, unknown>>;
    expectedVersion?: number | undefined;
    changedBy: string | null;
  },
): Promise<ConfigWriteResult> {
  const quick = await updateSettingsInOneStatement(pool, input);
  if (quick) {
    const { event, ...result } = quick;
    return { ...result, published: await publishCommitted(pool, publisher, [event]) };
  }
  // The guild changed since the statement's snapshot, or it is unknown, or the version is stale:
  // the transaction below takes the row lock first and tells those apart.
  const { guildId } = input;
  const { result, events } = await withTransaction(pool, async (client) => {
    const { settings, version } = await bumpGuild(client, guildId, input.expectedVersion, {
      merge: input.patch,
    });
    const modules = await insertRevision(client, {
      guildId,
      version,
      settings,
      changedBy: input.changedBy,
      change: 'settings',
    });
    const event = await enqueueClaimed(client, 'config:update', { guildId, settings, version });
    return { result: { settings, modules, version }, events: [event] };
  });
  return { ...result, published: await publishCommitted(pool, publisher, events) };
}

const DEFAULT_SETTINGS_JSON = JSON.stringify(DEFAULT_SETTINGS);

/**
 * The common settings write as ONE autocommit statement: version + 1, the revision, and the
 * claimed `config:update` outbox row (the row `enqueueClaimed` writes: validated payload with
 * `eventId` and `timestamp`, `claimed_until`), all committed together. One round trip and one
 * commit where the transaction takes five.
 *
 * The UPDATE only applies if the guild's version is still the one this statement's snapshot read,
 * so the modules the revision copies from that snapshot are current. Otherwise (a concurrent
 * writer committed first, the guild is unknown, `expectedVersion` is stale) nothing is written
 * and this returns `undefined`. The payload needs no validation here: `guildId` is a checked
 * snowflake, `settings` a JSON object (the only schema `config:update` has for it), `version` and
 * `timestamp` integers.
 */
async function updateSettingsInOneStatement(
  pool: pg.Pool,
  input: {
    guildId: string;
    patch: Readonly<Record<string, unknown>>;
    expectedVersion?: number | undefined;
    changedBy: string | null;
  },
): Promise<(Omit<ConfigWriteResult, 'published'> & { event: ClaimedOutboxEvent }) | undefined> {
  const eventId = randomUUID();
  const { rows } = await pool.query<{
    settings: unknown;
    version: string;
    modules: Record<string, ModuleState>;
    outbox_id: string;
    payload: Record<string, unknown>;
  }>(
    `WITH cur AS (SELECT version FROM guilds WHERE guild_id = $1),
     upd AS (
       UPDATE guilds SET settings = settings || $3::jsonb, version = version + 1, updated_at = now()
        WHERE guild_id = $1 AND version = (SELECT version FROM cur)
          AND ($2::bigint IS NULL OR version = $2::bigint)
        RETURNING $8::jsonb || settings AS settings, version),
     rev AS (
       INSERT INTO config_revisions (guild_id, version, settings, modules, changed_by, change)
       SELECT $1, upd.version, upd.settings, ${modulesSql('$1', '$4')}, $5, 'settings'
       FROM upd RETURNING modules),
     ob AS (
       INSERT INTO ${OUTBOX_TABLE} (channel, payload, event_id, guild_id, version, claimed_until)
       SELECT 'config:update',
              jsonb_build_object('guildId', $1::text, 'settings', upd.settings, 'version', upd.version,
                                 'timestamp', $7::bigint, 'eventId', $6::text),
              $6, $1, upd.version,
              clock_timestamp() + $9::double precision * interval '1 millisecond'
         FROM upd RETURNING id::text AS id, payload)
     SELECT upd.settings, upd.version::text AS version, rev.modules, ob.id AS outbox_id, ob.payload
       FROM upd, rev, ob`,
    [
      input.guildId,
      input.expectedVersion ?? null,
      JSON.stringify(input.patch),
      DEFAULT_MODULES_JSON,
      input.changedBy,
      eventId,
      Date.now(),
      DEFAULT_SETTINGS_JSON,
      DefaultEnqueueClaimedOptions.claimMs,
    ],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    settings: withDefaultSettings(row.settings),
    modules: row.modules,
    version: toVersion(row.version),
    event: { id: row.outbox_id, channel: 'config:update', payload: row.payload },
  };
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
  },
): Promise<ConfigWriteResult & { module: ModuleState }> {
  const { guildId, module } = input;
  if (!isModuleName(module)) throw new RowNotFoundError('guild_modules', `${guildId}/${module}`);
  const { result, events } = await withTransaction(pool, async (client) => {
    const { settings, version } = await bumpGuild(client, guildId, input.expectedVersion, undefined);
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
      settings,
      changedBy: input.changedBy,
      change: `module:${module}`,
    });
    const event = await enqueueClaimed(client, 'module:toggle', {
      guildId,
      module,
      enabled: state.enabled,
      config: state.config,
      version,
    });
    return { result: { settings, modules, version, module: state }, events: [event] };
  });
  return { ...result, published: await publishCommitted(pool, publisher, events) };
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
  },
): Promise<ConfigWriteResult & { restored: number }> {
  const { guildId, revision } = input;
  const { result, events } = await withTransaction(pool, async (client) => {
    const saved = await getRevision(client, guildId, revision);
    if (!saved) throw new RowNotFoundError('config_revisions', `${guildId}@${revision}`);
    const { settings, version } = await bumpGuild(client, guildId, input.expectedVersion, {
      replace: saved.settings,
    });
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
    });
    const events = [
      await enqueueClaimed(client, 'config:update', { guildId, settings, version }),
      await enqueueClaimed(client, 'guild:reload', { guildId, reason: `Revision ${revision} restored` }),
    ];
    return { result: { settings, modules, version, restored: revision }, events };
  });
  return { ...result, published: await publishCommitted(pool, publisher, events) };
}

/**
 * A forced reload (`POST /api/panel/guilds/:id/sync`): a `guild:reload` through the outbox,
 * so it is not lost if the bus is down.
 */
export async function requestGuildReload(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: { guildId: string; reason: string },
): Promise<{ published: boolean }> {
  const event = await withTransaction(pool, (client) =>
    enqueueClaimed(client, 'guild:reload', { guildId: input.guildId, reason: input.reason }),
  );
  return { published: await publishCommitted(pool, publisher, [event]) };
}
