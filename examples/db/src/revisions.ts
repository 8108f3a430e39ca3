import { type SqlFragment, sql, sqlQuery } from '@wolaro/sync/pg';
import type { GuildSettings, ModuleState } from './defaults.js';
import { withDefaultModules, withDefaultSettings } from './defaults.js';
import { type Queryable, toVersion } from './types.js';

/** A saved configuration of a guild (`config_revisions`): one per version. */
export interface ConfigRevision {
  id: string;
  version: number;
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  changedBy: string | null;
  /** The Discord username of `changedBy` when the member is known, for history lists. */
  changedByName?: string | null;
  /** What changed: `created`, `settings`, `module:<name>`, `restore:<version>`. */
  change: string;
  createdAt: Date;
}

interface RevisionRow {
  id: string;
  version: string;
  settings: unknown;
  modules: unknown;
  changed_by: string | null;
  change: string;
  created_at: Date;
}

const COLUMNS = 'id::text AS id, version, settings, modules, changed_by, change, created_at';

const toRevision = (r: RevisionRow): ConfigRevision => ({
  id: r.id,
  version: toVersion(r.version),
  settings: withDefaultSettings(r.settings),
  modules: (r.modules ?? {}) as Record<string, ModuleState>,
  changedBy: r.changed_by,
  change: r.change,
  createdAt: r.created_at,
});

/**
 * Inserts the revision of a new version (inside the write's transaction, after the guild row is
 * locked) with the guild's modules as they are now, defaults filled in, and returns those modules:
 * one statement where reading the modules and inserting took two round trips.
 */
export async function insertRevision(
  db: Queryable,
  input: {
    guildId: string;
    version: number;
    settings: GuildSettings;
    changedBy: string | null;
    change: string;
    /** Revisions kept for the guild: older versions are deleted by the same statement (`0`: all kept). */
    revisionsKept: number;
  },
): Promise<Record<string, ModuleState>> {
  const { rows } = await db.query<{ modules: Record<string, ModuleState> }>(
    sqlQuery(sql`WITH pruned AS (${pruneOlderRevisions(sql`${input.guildId}`, sql`${input.version}::bigint`, input.revisionsKept)})
     INSERT INTO config_revisions (guild_id, version, settings, modules, changed_by, change)
     SELECT ${input.guildId}, ${input.version}, ${JSON.stringify(input.settings)}::jsonb,
            ${modulesSql(sql`${input.guildId}`)}, ${input.changedBy}, ${input.change}
     RETURNING modules`),
  );
  return rows[0]!.modules;
}

/**
 * `DELETE` of a guild's revisions older than its newest `kept` versions, as of `version` (the
 * version being written): run by the write itself, under the guild's row lock it already holds,
 * so the table stays bounded per guild without blocking anyone else. `kept` 0 deletes nothing.
 */
export function pruneOlderRevisions(guild: SqlFragment, version: SqlFragment, kept: number): SqlFragment {
  const limit = kept > 0 ? kept : null;
  return sql`DELETE FROM config_revisions
     WHERE ${limit}::bigint IS NOT NULL AND guild_id = ${guild} AND version <= ${version} - ${limit}::bigint`;
}

/** Every module at its default state (JSON), the base {@link modulesSql} merges stored modules onto. */
export const DEFAULT_MODULES_JSON = JSON.stringify(withDefaultModules([]));

/**
 * A guild's modules as a jsonb object, defaults filled in (what `withDefaultModules` computes),
 * for the guild whose id `guild` evaluates to.
 */
export function modulesSql(guild: SqlFragment): SqlFragment {
  return sql`${DEFAULT_MODULES_JSON}::jsonb || COALESCE(
    (SELECT jsonb_object_agg(name, jsonb_build_object('enabled', enabled, 'config',
              CASE WHEN jsonb_typeof(config) = 'object' THEN config ELSE '{}'::jsonb END))
       FROM guild_modules WHERE guild_id = ${guild}), '{}'::jsonb)`;
}

/** A guild's revisions, newest first, with the author's username when the member is known. */
export async function listRevisions(db: Queryable, guildId: string, limit = 50): Promise<ConfigRevision[]> {
  const { rows } = await db.query<RevisionRow & { changed_by_name: string | null }>(
    `SELECT r.id::text AS id, r.version, r.settings, r.modules, r.changed_by, r.change, r.created_at,
            m.username AS changed_by_name
       FROM config_revisions r
       LEFT JOIN guild_members m ON m.guild_id = r.guild_id AND m.user_id = r.changed_by
      WHERE r.guild_id = $1
      ORDER BY r.version DESC
      LIMIT $2`,
    [guildId, limit],
  );
  return rows.map((r) => ({ ...toRevision(r), changedByName: r.changed_by_name }));
}

/** The revision of `version`, `null` when there is none. */
export async function getRevision(
  db: Queryable,
  guildId: string,
  version: number,
): Promise<ConfigRevision | null> {
  const { rows } = await db.query<RevisionRow>(
    `SELECT ${COLUMNS} FROM config_revisions WHERE guild_id = $1 AND version = $2`,
    [guildId, version],
  );
  return rows[0] ? toRevision(rows[0]) : null;
}
