import { audit, diff } from '../domain/audit_log.js';
import type { EmulatorContext } from '../domain/context.js';
import {
  channelPermissionsOf,
  guildPermissionsOf,
  highestRolePosition,
} from '../domain/member_permissions.js';
import type { MessageChannel } from '../domain/messages.js';
import { Errors } from '../errors.js';
import type { ChannelRecord, GuildRecord } from '../state/records.js';
import type { RestRequest } from './rest_types.js';

/** A guild the bot is in: 404 Unknown Guild if it doesn't exist, 403 Missing Access if the bot isn't a member. */
export function botGuild(ctx: EmulatorContext, guildId: string): GuildRecord {
  const guild = ctx.state.guild(guildId);
  if (!guild) throw Errors.unknownGuild();
  if (!ctx.state.member(guildId, ctx.state.application().id)) throw Errors.missingAccess();
  return guild;
}

/** A channel the bot can see: 404 Unknown Channel, 403 Missing Access without VIEW_CHANNEL. */
export function botChannel(ctx: EmulatorContext, channelId: string): ChannelRecord {
  const channel = ctx.state.channel(channelId);
  if (!channel) throw Errors.unknownChannel();
  botGuild(ctx, channel.guild_id);
  if (channelPermissionsOf(ctx.state, channelId, ctx.state.application().id) === 0n)
    throw Errors.missingAccess();
  return channel;
}

/** A guild channel or thread the bot can see, or one of the bot's DM channels (`guild_id` null). */
export function botMessageChannel(ctx: EmulatorContext, channelId: string): MessageChannel {
  const dm = ctx.state.dmChannels.get(channelId);
  if (dm) return { id: dm.id, guild_id: null, type: 1 };
  return botChannel(ctx, channelId);
}

/** Who performs a REST call (the bot) and the `X-Audit-Log-Reason` it gave. */
export function actor(ctx: EmulatorContext, req: RestRequest): { actorId: string; reason: string | null } {
  const raw = req.headers['x-audit-log-reason'];
  const header = Array.isArray(raw) ? raw[0] : raw;
  let reason: string | null = null;
  if (header !== undefined) {
    try {
      reason = decodeURIComponent(header);
    } catch {
      reason = header;
    }
  }
  return { actorId: ctx.state.application().id, reason };
}

/** 403 Missing Permissions unless the bot has every bit in the guild. */
export function requireGuildPermission(ctx: EmulatorContext, guildId: string, bits: bigint): void {
  if ((guildPermissionsOf(ctx.state, guildId, ctx.state.application().id) & bits) !== bits) {
    throw Errors.missingPermissions();
  }
}

/** 403 Missing Permissions unless the bot has every bit in the channel. */
export function requireChannelPermission(ctx: EmulatorContext, channelId: string, bits: bigint): void {
  if (ctx.state.dmChannels.get(channelId)) return; // DMs have no permissions
  if ((channelPermissionsOf(ctx.state, channelId, ctx.state.application().id) & bits) !== bits) {
    throw Errors.missingPermissions();
  }
}

/** 403 Missing Permissions unless the bot's highest role is above `position`. */
export function requireAbove(ctx: EmulatorContext, guildId: string, position: number): void {
  if (highestRolePosition(ctx.state, guildId, ctx.state.application().id) <= position) {
    throw Errors.missingPermissions();
  }
}

/**
 * Audits, as the request's actor (and `X-Audit-Log-Reason`), a create (`before` null), update or
 * delete (`after` null) of a guild's record, with the changes of the fields `fields` picks.
 *
 * @example
 * ```ts
 * auditRecord(ctx, req, AuditLogAction.RoleUpdate, role, next, (r) => ({ name: r.name }));
 * ```
 */
export function auditRecord<R extends { id: string; guild_id: string }>(
  ctx: EmulatorContext,
  req: RestRequest,
  action: number,
  before: R | null,
  after: R | null,
  fields: (record: R) => object,
): void {
  const { actorId, reason } = actor(ctx, req);
  const record = (after ?? before) as R;
  audit(ctx, {
    guildId: record.guild_id,
    userId: actorId,
    targetId: record.id,
    action,
    reason,
    changes: diff(before ? fields(before) : {}, after ? fields(after) : {}),
  });
}
