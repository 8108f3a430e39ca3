import type { SyncClient } from '@wolaro/sync';
import {
  type ClaimedOutboxEvent,
  enqueueClaimed,
  publishAfterCommit,
  type Wakeable,
  withTransaction,
} from '@wolaro/sync/pg';
import type pg from 'pg';
import type { EventPublisher } from './config_writes.js';
import { accessOf, type GuildAccessRow, type MemberUpsert, pruneMembers, upsertMembers } from './members.js';
import { type Queryable, SNOWFLAKE } from './types.js';

/** A user in a guild. */
export interface UserGuild {
  readonly userId: string;
  readonly guildId: string;
}

const pairKey = (p: UserGuild) => `${p.userId}:${p.guildId}`;

/**
 * The pairs whose user may manage the guild (owner or ADMINISTRATOR), in ONE query whatever their
 * number; with `botPresent`, only in guilds the bot is in (what the panel requires). Pairs with an
 * id that is not a snowflake are never allowed.
 */
export async function managingPairs(
  db: Queryable,
  pairs: readonly UserGuild[],
  options: { botPresent?: boolean } = {},
): Promise<UserGuild[]> {
  const valid = pairs.filter((p) => SNOWFLAKE.test(p.userId) && SNOWFLAKE.test(p.guildId));
  if (valid.length === 0) return [];
  const { rows } = await db.query<GuildAccessRow & { user_id: string; guild_id: string }>(
    `SELECT p.user_id, p.guild_id, g.owner_id, g.bot_present, m.permissions, m.is_owner,
            g.guild_id IS NOT NULL AS exists
       FROM unnest($1::text[], $2::text[]) AS p(user_id, guild_id)
       LEFT JOIN guilds g ON g.guild_id = p.guild_id
       LEFT JOIN guild_members m ON m.guild_id = p.guild_id AND m.user_id = p.user_id`,
    [valid.map((p) => p.userId), valid.map((p) => p.guildId)],
  );
  return rows
    .filter((row) => {
      const access = accessOf(row, row.user_id);
      return access.canManage && (!options.botPresent || access.botPresent);
    })
    .map((row) => ({ userId: row.user_id, guildId: row.guild_id }));
}

/**
 * Runs `change` in the caller's transaction and queues a `permission:revoked` (outbox, claimed by
 * the caller) for every pair of `watched` that could manage its guild before and cannot after:
 * the revocation commits or rolls back with the change that caused it. Returns the queued events.
 */
export async function revokeLostAccess(
  client: pg.PoolClient,
  watched: readonly UserGuild[],
  change: () => Promise<unknown>,
  reason: (pair: UserGuild) => string,
): Promise<ClaimedOutboxEvent[]> {
  const before = await managingPairs(client, watched);
  await change();
  const after = new Set((await managingPairs(client, before)).map(pairKey));
  const events: ClaimedOutboxEvent[] = [];
  for (const pair of before) {
    if (after.has(pairKey(pair))) continue;
    events.push(
      await enqueueClaimed(client, 'permission:revoked', { ...pair, reason: reason(pair).slice(0, 512) }),
    );
  }
  return events;
}

/**
 * Publishes committed outbox events right away (each falls back to the outbox relay if the bus is
 * down). Resolves whether all went out now; never throws.
 */
export async function publishCommitted(
  pool: pg.Pool,
  publisher: { sync: SyncClient; relay?: Wakeable | undefined; logger?: EventPublisher['logger'] },
  events: readonly ClaimedOutboxEvent[],
): Promise<boolean> {
  const options = { relay: publisher.relay, ...(publisher.logger ? { logger: publisher.logger } : {}) };
  let all = true;
  for (const event of events) {
    if (!(await publishAfterCommit(pool, publisher.sync, event, options))) all = false;
  }
  return all;
}

/** What changes in a guild's members: see {@link applyMemberChanges}. */
export interface MemberChanges {
  guildId: string;
  /** The guild's new owner (GUILD_UPDATE): `guilds.owner_id` and every member's owner flag follow. */
  ownerId?: string | undefined;
  /** Members inserted or updated with their current permissions and owner flag. */
  upsert?: readonly MemberUpsert[] | undefined;
  /** Members who left the guild. */
  remove?: readonly string[] | undefined;
  /**
   * A full member list (GUILD_CREATE after a complete fetch): every other member row of the guild is
   * deleted, as members who left while the bot was away never produced a GUILD_MEMBER_REMOVE.
   */
  keepOnly?: readonly string[] | undefined;
  /** The `reason` of each `permission:revoked`, e.g. `Administrator role removed`. */
  reason: string;
}

/** The users a change may concern: everyone it names, and the guild's owner before and after it. */
async function watchedUsers(client: pg.PoolClient, changes: MemberChanges): Promise<UserGuild[]> {
  const { rows } = await client.query<{ owner_id: string | null }>(
    'SELECT owner_id FROM guilds WHERE guild_id = $1 FOR UPDATE',
    [changes.guildId],
  );
  const users = new Set<string>([...(changes.upsert ?? []).map((m) => m.userId), ...(changes.remove ?? [])]);
  const owner = rows[0]?.owner_id;
  if (owner) users.add(owner);
  if (changes.keepOnly) {
    const members = await client.query<{ user_id: string }>(
      'SELECT user_id FROM guild_members WHERE guild_id = $1',
      [changes.guildId],
    );
    for (const m of members.rows) users.add(m.user_id);
  }
  if (changes.ownerId) users.add(changes.ownerId);
  return [...users].map((userId) => ({ userId, guildId: changes.guildId }));
}

/**
 * Writes what the bot saw change in a guild's members (GUILD_UPDATE owner transfer, member and
 * role updates, a member leaving) in ONE transaction, and in the same transaction queues a
 * `permission:revoked` for every user who could manage the guild before and cannot after, by the
 * rule the panel API applies (owner, or ADMINISTRATOR). The guild row is locked, so concurrent
 * changes of one guild compare against each other's result. The events are published right after
 * COMMIT; if the bus is down they stay in the outbox for the relay.
 *
 * @returns the users revoked, and whether their events went out right away
 */
export async function applyMemberChanges(
  pool: pg.Pool,
  publisher: EventPublisher,
  changes: MemberChanges,
): Promise<{ revoked: string[]; published: boolean }> {
  const { guildId } = changes;
  if (!SNOWFLAKE.test(guildId)) throw new TypeError(`Not a guild id: ${guildId}`);
  const events = await withTransaction(pool, async (client) => {
    const watched = await watchedUsers(client, changes);
    return revokeLostAccess(
      client,
      watched,
      async () => {
        if (changes.ownerId !== undefined) {
          await client.query('UPDATE guilds SET owner_id = $2, updated_at = now() WHERE guild_id = $1', [
            guildId,
            changes.ownerId,
          ]);
          await client.query(
            `UPDATE guild_members SET is_owner = (user_id = $2), updated_at = now()
              WHERE guild_id = $1 AND is_owner IS DISTINCT FROM (user_id = $2)`,
            [guildId, changes.ownerId],
          );
        }
        if (changes.upsert && changes.upsert.length > 0) await upsertMembers(client, guildId, changes.upsert);
        if (changes.keepOnly) await pruneMembers(client, guildId, changes.keepOnly);
        if (changes.remove && changes.remove.length > 0) {
          await client.query('DELETE FROM guild_members WHERE guild_id = $1 AND user_id = ANY($2::text[])', [
            guildId,
            changes.remove,
          ]);
        }
      },
      () => changes.reason,
    );
  });
  return {
    revoked: events.map((e) => String(e.payload['userId'])),
    published: await publishCommitted(pool, publisher, events),
  };
}
