import { randomBytes } from 'node:crypto';
import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiUser, unknownUser } from '../shapes/user_shapes.js';
import type { InviteRecord } from '../state/records.js';
import { AuditLogAction, audit } from './audit_log.js';
import type { EmulatorContext } from './context.js';

/** Options of an invite (Discord's defaults: 24 h, unlimited uses). */
export interface InviteOptions {
  inviterId: string;
  maxAge?: number | undefined;
  maxUses?: number | undefined;
  temporary?: boolean | undefined;
  unique?: boolean | undefined;
  reason?: string | null | undefined;
}

/** Creates an invite to a guild channel (INVITE_CREATE, audit log); reuses a similar one unless `unique`. */
export function createInvite(ctx: EmulatorContext, channelId: string, options: InviteOptions): InviteRecord {
  const channel = ctx.state.channel(channelId);
  if (!channel) throw Errors.unknownChannel();
  const maxAge = options.maxAge ?? 86_400;
  const maxUses = options.maxUses ?? 0;
  const temporary = options.temporary ?? false;
  if (!options.unique) {
    const same = ctx.state.invites.where(
      (i) =>
        i.channel_id === channelId &&
        i.inviter_id === options.inviterId &&
        i.max_age === maxAge &&
        i.max_uses === maxUses &&
        i.temporary === temporary,
    )[0];
    if (same) return same;
  }
  const invite = ctx.state.invites.put({
    code: randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8),
    guild_id: channel.guild_id,
    channel_id: channel.id,
    inviter_id: options.inviterId,
    max_age: maxAge,
    max_uses: maxUses,
    uses: 0,
    temporary,
    created_at: new Date().toISOString(),
  });
  ctx.gateway.dispatch({
    t: 'INVITE_CREATE',
    d: {
      channel_id: invite.channel_id,
      guild_id: invite.guild_id,
      code: invite.code,
      created_at: invite.created_at,
      inviter: apiUser(ctx.state.user(invite.inviter_id) ?? unknownUser(invite.inviter_id)),
      max_age: invite.max_age,
      max_uses: invite.max_uses,
      temporary: invite.temporary,
      uses: 0,
      type: 0,
    },
    guildId: invite.guild_id,
    intents: GatewayIntents.GuildInvites,
  });
  audit(ctx, {
    guildId: invite.guild_id,
    userId: options.inviterId,
    targetId: null,
    action: AuditLogAction.InviteCreate,
    reason: options.reason,
    changes: [{ key: 'code', new_value: invite.code }],
  });
  return invite;
}

/** An invite that must exist (404 Unknown Invite). */
export function requireInvite(ctx: EmulatorContext, code: string): InviteRecord {
  const invite = ctx.state.invites.get(code);
  if (!invite) throw Errors.unknownInvite();
  return invite;
}

/** Revokes an invite (INVITE_DELETE, audit log). */
export function deleteInvite(
  ctx: EmulatorContext,
  invite: InviteRecord,
  actorId: string,
  reason?: string | null,
): void {
  ctx.state.invites.delete(invite.code);
  ctx.gateway.dispatch({
    t: 'INVITE_DELETE',
    d: { channel_id: invite.channel_id, guild_id: invite.guild_id, code: invite.code },
    guildId: invite.guild_id,
    intents: GatewayIntents.GuildInvites,
  });
  audit(ctx, {
    guildId: invite.guild_id,
    userId: actorId,
    targetId: null,
    action: AuditLogAction.InviteDelete,
    reason,
    changes: [{ key: 'code', old_value: invite.code }],
  });
}
