/**
 * Queries the bot needs that `@wolaro/panel-api/db` does not have (yet). Same conventions:
 * the pool (or a transaction's client) first, parameters only.
 */
import type { Queryable } from '@wolaro/panel-api/db';

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
