import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiUser, unknownUser } from '../shapes/user_shapes.js';
import type { BanRecord } from '../state/records.js';
import { AuditLogAction, audit } from './audit_log.js';
import type { EmulatorContext } from './context.js';
import { requireGuild } from './guilds.js';
import { removeMember } from './members.js';
import { bulkDeleteMessages } from './messages.js';

/** Who bans, why, and how many seconds of the user's messages to delete (0-604800). */
export interface BanOptions {
  actorId: string;
  reason?: string | null | undefined;
  deleteMessageSeconds?: number | undefined;
}

function banEvent(ctx: EmulatorContext, t: string, guildId: string, userId: string): void {
  ctx.gateway.dispatch({
    t,
    d: { guild_id: guildId, user: apiUser(ctx.state.user(userId) ?? unknownUser(userId)) },
    guildId,
    intents: GatewayIntents.GuildModeration,
  });
}

/**
 * Bans a user: removes the member (GUILD_MEMBER_REMOVE), deletes their recent messages, stores the ban and
 * dispatches GUILD_BAN_ADD plus an audit log entry. Banning an already banned user only updates nothing.
 */
export function banUser(
  ctx: EmulatorContext,
  guildId: string,
  userId: string,
  options: BanOptions,
): BanRecord {
  const guild = requireGuild(ctx, guildId);
  if (!ctx.state.user(userId)) throw Errors.unknownUser();
  if (userId === guild.owner_id) throw Errors.missingPermissions();
  const existing = ctx.state.bans.get(`${guildId}:${userId}`);
  if (existing) return existing;
  if (ctx.state.member(guildId, userId)) removeMember(ctx, guildId, userId);
  const seconds = options.deleteMessageSeconds ?? 0;
  if (seconds > 0) {
    const since = Date.now() - seconds * 1000;
    for (const channel of ctx.state.channels(guildId)) {
      const ids = ctx.state
        .messages(channel.id)
        .filter((m) => m.author_id === userId && Date.parse(m.timestamp) >= since)
        .map((m) => m.id);
      if (ids.length > 0) bulkDeleteMessages(ctx, channel.id, ids);
    }
  }
  const ban = ctx.state.bans.put({ guild_id: guildId, user_id: userId, reason: options.reason ?? null });
  banEvent(ctx, 'GUILD_BAN_ADD', guildId, userId);
  audit(ctx, {
    guildId,
    userId: options.actorId,
    targetId: userId,
    action: AuditLogAction.MemberBanAdd,
    reason: options.reason,
  });
  return ban;
}

/** Lifts a ban (GUILD_BAN_REMOVE); 404 Unknown Ban (10026) when there is none. */
export function unbanUser(
  ctx: EmulatorContext,
  guildId: string,
  userId: string,
  options: { actorId: string; reason?: string | null | undefined },
): void {
  requireGuild(ctx, guildId);
  if (!ctx.state.bans.delete(`${guildId}:${userId}`)) throw Errors.unknownBan();
  banEvent(ctx, 'GUILD_BAN_REMOVE', guildId, userId);
  audit(ctx, {
    guildId,
    userId: options.actorId,
    targetId: userId,
    action: AuditLogAction.MemberBanRemove,
    reason: options.reason,
  });
}
