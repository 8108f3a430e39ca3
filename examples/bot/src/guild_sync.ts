import {
  applyMemberChanges,
  type MemberChanges,
  type MemberUpsert,
  markGuildLeft,
  upsertGuild,
} from '@wolaro/db';
import type { Guild, GuildMember } from 'discord.js';
import { slashCommandData } from './commands/registry.js';
import type { BotContext } from './context.js';

/**
 * A member as `guild_members` stores it: the permissions discord.js computes from the member's
 * roles (all of them for the owner), as a decimal bitfield string, and the owner flag.
 */
export function memberRecord(member: GuildMember): MemberUpsert {
  return {
    userId: member.id,
    username: member.user.username,
    permissions: member.permissions.bitfield,
    isOwner: member.guild.ownerId === member.id,
  };
}

/**
 * Writes a change of a guild's members to the database; in the same transaction, every user it
 * takes the right to manage the guild from gets a `permission:revoked` through the outbox (with
 * `reason`), so the panels drop them even if this process dies or the bus is down right after.
 */
export async function writeMemberChanges(ctx: BotContext, changes: MemberChanges): Promise<void> {
  const { revoked, published } = await applyMemberChanges(
    ctx.db.pool,
    { sync: ctx.sync, logger: ctx.logger },
    changes,
  );
  for (const userId of revoked) {
    ctx.logger.info(
      { guildId: changes.guildId, userId, published },
      `Panel access of user ${userId} to guild ${changes.guildId} revoked: ${changes.reason}`,
    );
  }
}

/** Writes members' current permissions (GUILD_MEMBER_UPDATE, role changes), revoking who lost access. */
export async function writeMembers(
  ctx: BotContext,
  guildId: string,
  members: Iterable<GuildMember>,
  reason = 'Administrator permission removed',
): Promise<void> {
  const upsert = [...members].map(memberRecord);
  if (upsert.length > 0) await writeMemberChanges(ctx, { guildId, upsert, reason });
}

/**
 * What the bot does for each guild on `clientReady` and GUILD_CREATE: the guild row (name, owner,
 * icon, `bot_present = true`), every member with computed permissions and owner flag (members that
 * left while the bot was away are removed; whoever lost the right to manage the guild meanwhile is
 * revoked in the same transaction), and the guild's slash commands.
 */
export async function syncGuild(ctx: BotContext, guild: Guild): Promise<void> {
  await upsertGuild(ctx.db.pool, {
    guildId: guild.id,
    name: guild.name,
    ownerId: guild.ownerId,
    icon: guild.icon,
  });
  // GUILD_CREATE carries every member of small guilds only; fetch the rest (GuildMembers intent).
  let complete = guild.members.cache.size >= guild.memberCount;
  if (!complete) {
    try {
      await guild.members.fetch();
      complete = true;
    } catch (err) {
      ctx.logger.warn({ err, guildId: guild.id }, `Could not fetch the members of guild ${guild.id}`);
    }
  }
  const members = [...guild.members.cache.values()];
  // With the full list, members who left while the bot was away go too (and are revoked).
  await writeMemberChanges(ctx, {
    guildId: guild.id,
    upsert: members.map(memberRecord),
    ...(complete ? { keepOnly: members.map((m) => m.id) } : {}),
    reason: 'Access lost while the bot was away',
  });
  try {
    await guild.commands.set(slashCommandData());
  } catch (err) {
    ctx.logger.warn({ err, guildId: guild.id }, `Could not register slash commands in guild ${guild.id}`);
  }
  ctx.logger.debug({ guildId: guild.id, members: members.length }, `Guild ${guild.id} synced`);
}

/** The bot left the guild or lost it (GUILD_DELETE): keep its data, refuse it in the panel. */
export async function leaveGuild(ctx: BotContext, guildId: string): Promise<void> {
  await markGuildLeft(ctx.db.pool, guildId);
}
