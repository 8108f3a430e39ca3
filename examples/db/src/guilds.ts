import { withTransaction } from '@wolaro/sync/pg';
import type pg from 'pg';
import {
  DEFAULT_MODULES,
  DEFAULT_SETTINGS,
  type GuildSettings,
  MODULE_NAMES,
  type ModuleState,
  withDefaultModules,
  withDefaultSettings,
} from './defaults.js';
import { type Queryable, SNOWFLAKE, toVersion } from './types.js';

/** A guild's configuration as `GuildConfigCache` wants it (`load`). */
export interface GuildConfigRecord {
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  version: number;
}

/** A guild row with its configuration. */
export interface GuildRecord extends GuildConfigRecord {
  guildId: string;
  name: string;
  ownerId: string | null;
  icon: string | null;
  botPresent: boolean;
  updatedAt: Date;
}

/** What the bot knows of a guild on GUILD_CREATE. */
export interface GuildUpsert {
  guildId: string;
  name: string;
  ownerId?: string | null | undefined;
  icon?: string | null | undefined;
}

interface GuildRow {
  guild_id: string;
  name: string;
  owner_id: string | null;
  icon: string | null;
  settings: unknown;
  version: string;
  bot_present: boolean;
  updated_at: Date;
}

const GUILD_COLUMNS = 'guild_id, name, owner_id, icon, settings, version, bot_present, updated_at';

/** The modules of a guild, defaults filled in. */
export async function loadModules(db: Queryable, guildId: string): Promise<Record<string, ModuleState>> {
  const { rows } = await db.query<{ name: string; enabled: boolean; config: unknown }>(
    'SELECT name, enabled, config FROM guild_modules WHERE guild_id = $1 ORDER BY name',
    [guildId],
  );
  return withDefaultModules(rows);
}

/**
 * A guild with its settings, modules and version; `null` when unknown. Works for guilds the bot
 * left too (`botPresent: false`).
 */
export async function getGuild(db: Queryable, guildId: string): Promise<GuildRecord | null> {
  if (!SNOWFLAKE.test(guildId)) return null;
  const { rows } = await db.query<GuildRow>(`SELECT ${GUILD_COLUMNS} FROM guilds WHERE guild_id = $1`, [
    guildId,
  ]);
  const row = rows[0];
  if (!row) return null;
  return {
    guildId: row.guild_id,
    name: row.name,
    ownerId: row.owner_id,
    icon: row.icon,
    botPresent: row.bot_present,
    updatedAt: row.updated_at,
    settings: withDefaultSettings(row.settings),
    modules: await loadModules(db, guildId),
    version: toVersion(row.version),
  };
}

/**
 * `GuildConfigCache`'s `load`: `{ settings, modules, version }` of a guild, `null` when unknown.
 * One round trip, a prepared statement (parsed once per connection: it runs on every reload).
 *
 * @example
 * ```ts
 * const configs = new GuildConfigCache({ sync, cache, ...guildConfigLoaders(pool) });
 * ```
 */
export async function loadGuildConfig(db: Queryable, guildId: string): Promise<GuildConfigRecord | null> {
  if (!SNOWFLAKE.test(guildId)) return null;
  const { rows } = await db.query<{ settings: unknown; version: string; modules: unknown }>({
    name: 'wolaro_load_guild_config',
    text: `SELECT g.settings, g.version,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('name', m.name, 'enabled', m.enabled, 'config', m.config))
                      FROM guild_modules m WHERE m.guild_id = g.guild_id), '[]'::jsonb) AS modules
       FROM guilds g WHERE g.guild_id = $1`,
    values: [guildId],
  });
  const row = rows[0];
  if (!row) return null;
  const modules = Array.isArray(row.modules)
    ? (row.modules as { name: string; enabled: boolean; config: unknown }[])
    : [];
  return {
    settings: withDefaultSettings(row.settings),
    modules: withDefaultModules(modules),
    version: toVersion(row.version),
  };
}

/**
 * `GuildConfigCache`'s `loadVersions`: current versions of many guilds in one query (unknown ones
 * are absent).
 */
export async function loadVersions(db: Queryable, guildIds: readonly string[]): Promise<Map<string, number>> {
  const ids = guildIds.filter((id) => SNOWFLAKE.test(id));
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ guild_id: string; version: string }>(
    'SELECT guild_id, version FROM guilds WHERE guild_id = ANY($1::text[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.guild_id, toVersion(r.version)]));
}

/**
 * `load` and `loadVersions` bound to a pool, to spread into `GuildConfigCache` options.
 *
 * @example
 * ```ts
 * const configs = new GuildConfigCache({ sync, cache, ...guildConfigLoaders(db.pool) });
 * ```
 */
export function guildConfigLoaders(db: Queryable) {
  return {
    load: (guildId: string) => loadGuildConfig(db, guildId),
    loadVersions: (guildIds: readonly string[]) => loadVersions(db, guildIds),
  };
}

/**
 * The bot joined or saw a guild (GUILD_CREATE): insert it with default settings, modules and a
 * first revision, or refresh its name, owner and icon and mark the bot present. Configuration and
 * version are left alone for a known guild.
 *
 * @returns whether the guild was new
 */
export async function upsertGuild(
  pool: pg.Pool,
  guild: GuildUpsert,
): Promise<{ created: boolean; version: number }> {
  if (!SNOWFLAKE.test(guild.guildId)) throw new TypeError(`Not a guild id: ${guild.guildId}`);
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ inserted: boolean; version: string; settings: unknown }>(
      `INSERT INTO guilds (guild_id, name, owner_id, icon, settings, version, bot_present)
       VALUES ($1, $2, $3, $4, $5::jsonb, 1, true)
       ON CONFLICT (guild_id) DO UPDATE
         SET name = EXCLUDED.name, owner_id = EXCLUDED.owner_id, icon = EXCLUDED.icon,
             bot_present = true, updated_at = now()
       RETURNING (xmax = 0) AS inserted, version, settings`,
      [
        guild.guildId,
        guild.name,
        guild.ownerId ?? null,
        guild.icon ?? null,
        JSON.stringify(DEFAULT_SETTINGS),
      ],
    );
    const row = rows[0]!;
    const version = toVersion(row.version);
    if (row.inserted) {
      for (const name of MODULE_NAMES) {
        const state = DEFAULT_MODULES[name];
        await client.query(
          `INSERT INTO guild_modules (guild_id, name, enabled, config, version) VALUES ($1, $2, $3, $4::jsonb, $5)
           ON CONFLICT (guild_id, name) DO NOTHING`,
          [guild.guildId, name, state.enabled, JSON.stringify(state.config), version],
        );
      }
      await client.query(
        `INSERT INTO config_revisions (guild_id, version, settings, modules, changed_by, change)
         VALUES ($1, $2, $3::jsonb, $4::jsonb, NULL, 'created') ON CONFLICT (guild_id, version) DO NOTHING`,
        [
          guild.guildId,
          version,
          JSON.stringify(withDefaultSettings(row.settings)),
          JSON.stringify(withDefaultModules([])),
        ],
      );
    }
    return { created: row.inserted, version };
  });
}

/** The bot left or lost a guild (GUILD_DELETE): keep its data, refuse it in the panel. */
export async function markGuildLeft(db: Queryable, guildId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE guilds SET bot_present = false, updated_at = now() WHERE guild_id = $1 AND bot_present',
    [guildId],
  );
  return (rowCount ?? 0) > 0;
}

/** The guilds one bot process serves: shards `shards` of `count` (`(guild_id >> 22) % count`). */
export interface GuildShards {
  readonly shards: readonly number[];
  readonly count: number;
}

/**
 * After READY: the guilds still marked present that the bot no longer is in (it was removed while
 * it was offline) are marked left, except `presentIds`. With `scope`, only the guilds of those shards
 * are considered: another shard's guilds are not in this process's READY and must stay as they are.
 *
 * @returns the ids marked left
 */
export async function markGuildsLeftExcept(
  db: Queryable,
  presentIds: readonly string[],
  scope?: GuildShards,
): Promise<string[]> {
  // numeric, not bigint: a 20-digit snowflake does not fit a signed bigint.
  const { rows } = await db.query<{ guild_id: string }>(
    `UPDATE guilds SET bot_present = false, updated_at = now()
      WHERE bot_present AND NOT (guild_id = ANY($1::text[]))
        AND ($3::int IS NULL OR mod(div(guild_id::numeric, 4194304), $3::int) = ANY($2::int[]))
      RETURNING guild_id`,
    [presentIds, scope ? [...scope.shards] : [], scope?.count ?? null],
  );
  return rows.map((r) => r.guild_id).sort();
}

/** Ids of the guilds the bot is in, among `guildIds`. */
export async function botGuildIds(db: Queryable, guildIds: readonly string[]): Promise<Set<string>> {
  const ids = guildIds.filter((id) => SNOWFLAKE.test(id));
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ guild_id: string }>(
    'SELECT guild_id FROM guilds WHERE bot_present AND guild_id = ANY($1::text[])',
    [ids],
  );
  return new Set(rows.map((r) => r.guild_id));
}
