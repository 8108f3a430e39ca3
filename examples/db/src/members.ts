import type { Queryable } from './types.js';
import { SNOWFLAKE } from './types.js';

/** Discord's ADMINISTRATOR permission bit. */
export const ADMINISTRATOR = 0x8n;

/** A member as the bot (GUILD_CREATE, GUILD_MEMBER_UPDATE) or the OAuth2 login sees it. */
export interface MemberUpsert {
  userId: string;
  username?: string | null | undefined;
  /** The member's computed guild permissions, as Discord's decimal bitfield string (or a bigint). */
  permissions: string | bigint;
  isOwner?: boolean | undefined;
}

/** Whether a permission bitfield (decimal string) includes ADMINISTRATOR. */
export function hasAdministrator(permissions: string | null | undefined): boolean {
  if (!permissions || !/^\d{1,20}$/.test(permissions)) return false;
  return (BigInt(permissions) & ADMINISTRATOR) === ADMINISTRATOR;
}

function bitfield(value: string | bigint): string {
  const text = typeof value === 'bigint' ? value.toString() : value;
  if (!/^\d{1,20}$/.test(text)) throw new TypeError(`Not a permission bitfield: ${text}`);
  return text;
}

/**
 * Inserts or updates members of a guild (one statement). The guild must exist (`upsertGuild`).
 *
 * @example
 * ```ts
 * await upsertMembers(pool, guild.id, guild.members.cache.map((m) => ({
 *   userId: m.id, username: m.user.username, permissions: m.permissions.bitfield, isOwner: m.id === guild.ownerId,
 * })));
 * ```
 */
export async function upsertMembers(
  db: Queryable,
  guildId: string,
  members: readonly MemberUpsert[],
): Promise<number> {
  if (members.length === 0) return 0;
  for (const m of members) if (!SNOWFLAKE.test(m.userId)) throw new TypeError(`Not a user id: ${m.userId}`);
  const { rowCount } = await db.query(
    `INSERT INTO guild_members (guild_id, user_id, username, permissions, is_owner)
     SELECT $1, u.user_id, u.username, u.permissions, u.is_owner
       FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[]) AS u(user_id, username, permissions, is_owner)
     ON CONFLICT (guild_id, user_id) DO UPDATE
       SET username = COALESCE(EXCLUDED.username, guild_members.username), permissions = EXCLUDED.permissions,
           is_owner = EXCLUDED.is_owner, updated_at = now()`,
    [
      guildId,
      members.map((m) => m.userId),
      members.map((m) => m.username ?? null),
      members.map((m) => bitfield(m.permissions)),
      members.map((m) => m.isOwner ?? false),
    ],
  );
  return rowCount ?? 0;
}

/** Sets one member's permissions (the bot on GUILD_MEMBER_UPDATE); returns whether a row changed. */
export async function setMemberPermissions(
  db: Queryable,
  guildId: string,
  userId: string,
  permissions: string | bigint,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE guild_members SET permissions = $3, updated_at = now() WHERE guild_id = $1 AND user_id = $2',
    [guildId, userId, bitfield(permissions)],
  );
  return (rowCount ?? 0) > 0;
}

/** A member left (or was removed from) a guild. */
export async function removeMember(db: Queryable, guildId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM guild_members WHERE guild_id = $1 AND user_id = $2', [
    guildId,
    userId,
  ]);
  return (rowCount ?? 0) > 0;
}

/**
 * Replaces a user's memberships with what an OAuth2 login saw in `/users/@me/guilds` (only guilds
 * the bot is in: the caller filters): the user's rows of guilds no longer listed are deleted.
 */
export async function replaceUserMemberships(
  db: Queryable,
  userId: string,
  username: string,
  memberships: readonly { guildId: string; permissions: string; isOwner: boolean }[],
): Promise<void> {
  const { rows } = await db.query<{ guild_id: string }>(
    'SELECT guild_id FROM guild_members WHERE user_id = $1',
    [userId],
  );
  const listed = new Set(memberships.map((m) => m.guildId));
  const gone = rows.map((r) => r.guild_id).filter((id) => !listed.has(id));
  if (gone.length > 0) {
    await db.query('DELETE FROM guild_members WHERE user_id = $1 AND guild_id = ANY($2::text[])', [
      userId,
      gone,
    ]);
  }
  for (const m of memberships) {
    await upsertMembers(db, m.guildId, [
      { userId, username, permissions: m.permissions, isOwner: m.isOwner },
    ]);
  }
}

/** A user's standing in one guild, read server-side for every panel request. */
export interface GuildAccess {
  /** The guild is known (`guilds` row). */
  exists: boolean;
  /** The bot is in it. */
  botPresent: boolean;
  /** Owner, or ADMINISTRATOR in `guild_members`. */
  canManage: boolean;
}

/** Whether `userId` may manage `guildId` (owner or ADMINISTRATOR), and whether the guild is usable. */
export async function guildAccess(db: Queryable, userId: string, guildId: string): Promise<GuildAccess> {
  if (!SNOWFLAKE.test(guildId) || !SNOWFLAKE.test(userId))
    return { exists: false, botPresent: false, canManage: false };
  const { rows } = await db.query<GuildAccessRow>(
    `SELECT g.owner_id, g.bot_present, m.permissions, m.is_owner, g.guild_id IS NOT NULL AS exists
       FROM (SELECT $1::text AS guild_id) q
       LEFT JOIN guilds g ON g.guild_id = q.guild_id
       LEFT JOIN guild_members m ON m.guild_id = q.guild_id AND m.user_id = $2`,
    [guildId, userId],
  );
  return accessOf(rows[0], userId);
}

/**
 * {@link guildAccess} for many guilds of one user in one query (the Socket.io handshake checks
 * every guild it auto-joins this way). Every requested id gets an entry; ids that are not
 * snowflakes or unknown guilds get `{ exists: false, ... }`.
 */
export async function guildAccessMany(
  db: Queryable,
  userId: string,
  guildIds: readonly string[],
): Promise<Map<string, GuildAccess>> {
  const none: GuildAccess = { exists: false, botPresent: false, canManage: false };
  const result = new Map<string, GuildAccess>(guildIds.map((id) => [id, none]));
  const ids = [...new Set(guildIds.filter((id) => SNOWFLAKE.test(id)))];
  if (ids.length === 0 || !SNOWFLAKE.test(userId)) return result;
  const { rows } = await db.query<GuildAccessRow & { guild_id: string }>(
    `SELECT g.guild_id, g.owner_id, g.bot_present, m.permissions, m.is_owner, true AS exists
       FROM guilds g
       LEFT JOIN guild_members m ON m.guild_id = g.guild_id AND m.user_id = $2
      WHERE g.guild_id = ANY($1::text[])`,
    [ids, userId],
  );
  for (const row of rows) result.set(row.guild_id, accessOf(row, userId));
  return result;
}

/** The columns {@link accessOf} reads, from `guilds g` and `guild_members m`. */
export interface GuildAccessRow {
  owner_id: string | null;
  bot_present: boolean | null;
  permissions: string | null;
  is_owner: boolean | null;
  exists: boolean;
}

/** A user's standing in a guild from its `guilds` and `guild_members` columns. */
export function accessOf(row: GuildAccessRow | undefined, userId: string): GuildAccess {
  if (!row?.exists) return { exists: false, botPresent: false, canManage: false };
  const canManage = row.owner_id === userId || row.is_owner === true || hasAdministrator(row.permissions);
  return { exists: true, botPresent: row.bot_present === true, canManage };
}

/** A guild the user may manage, for the panel's guild list. */
export interface ManagedGuild {
  guildId: string;
  name: string;
  icon: string | null;
  isOwner: boolean;
  version: number;
}

/** Guilds with the bot present where `userId` is the owner or an ADMINISTRATOR. */
export async function listManagedGuilds(db: Queryable, userId: string): Promise<ManagedGuild[]> {
  if (!SNOWFLAKE.test(userId)) return [];
  const { rows } = await db.query<{
    guild_id: string;
    name: string;
    icon: string | null;
    owner_id: string | null;
    version: string;
    permissions: string | null;
    is_owner: boolean | null;
  }>(
    `SELECT g.guild_id, g.name, g.icon, g.owner_id, g.version, m.permissions, m.is_owner
       FROM guilds g
       LEFT JOIN guild_members m ON m.guild_id = g.guild_id AND m.user_id = $1
      WHERE g.bot_present AND (g.owner_id = $1 OR m.user_id IS NOT NULL)
      ORDER BY g.name, g.guild_id`,
    [userId],
  );
  return rows
    .filter((r) => r.owner_id === userId || r.is_owner === true || hasAdministrator(r.permissions))
    .map((r) => ({
      guildId: r.guild_id,
      name: r.name,
      icon: r.icon,
      isOwner: r.owner_id === userId || r.is_owner === true,
      version: Number(r.version),
    }));
}

/**
 * Deletes the `guild_members` rows of a guild whose user is not in `keepUserIds`: after a full
 * member fetch on GUILD_CREATE, members who left while the bot was offline (and so never produced
 * a GUILD_MEMBER_REMOVE) must not keep their panel access.
 *
 * @returns how many rows were deleted
 */
export async function pruneMembers(
  db: Queryable,
  guildId: string,
  keepUserIds: readonly string[],
): Promise<number> {
  const { rowCount } = await db.query(
    'DELETE FROM guild_members WHERE guild_id = $1 AND NOT (user_id = ANY($2::text[]))',
    [guildId, keepUserIds],
  );
  return rowCount ?? 0;
}
