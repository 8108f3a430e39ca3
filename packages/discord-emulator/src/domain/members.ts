import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiGuildCreate, apiMember } from '../shapes/guild_shapes.js';
import { apiUser, unknownUser } from '../shapes/user_shapes.js';
import type { MemberRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';
import { memberRoleIds, newMember, requireGuild, resolveRoleRef } from './guilds.js';
import type { MemberInput, MemberPatch } from './inputs.js';
import { ensureUser } from './users.js';

/** A member that must exist. */
export function requireMember(ctx: EmulatorContext, guildId: string, userId: string): MemberRecord {
  requireGuild(ctx, guildId);
  const member = ctx.state.member(guildId, userId);
  if (!member) throw Errors.unknownMember();
  return member;
}

/** The GUILD_MEMBER_UPDATE / GUILD_MEMBER_ADD payload of a member. */
export function memberEventPayload(ctx: EmulatorContext, member: MemberRecord): object {
  return { ...apiMember(ctx.state, member), guild_id: member.guild_id };
}

function dispatchMemberUpdate(ctx: EmulatorContext, member: MemberRecord): void {
  const isBot = member.user_id === ctx.state.application().id;
  ctx.gateway.dispatch({
    t: 'GUILD_MEMBER_UPDATE',
    d: memberEventPayload(ctx, member),
    guildId: member.guild_id,
    // Discord sends the bot's own member updates even without GUILD_MEMBERS.
    intents: isBot ? 0 : GatewayIntents.GuildMembers,
  });
}

/** Updates a member (roles by id or name, nick, timeout) and dispatches GUILD_MEMBER_UPDATE. */
export function updateMember(
  ctx: EmulatorContext,
  guildId: string,
  userId: string,
  patch: MemberPatch,
): MemberRecord {
  const member = requireMember(ctx, guildId, userId);
  const next: MemberRecord = { ...member };
  if (patch.roles !== undefined) {
    const roles = patch.roles.map((ref) => resolveRoleRef(ctx, guildId, ref)).filter((id) => id !== guildId);
    next.roles = [...new Set(roles)];
  }
  if (patch.nick !== undefined) next.nick = patch.nick === '' ? null : patch.nick;
  if (patch.communicationDisabledUntil !== undefined) {
    next.communication_disabled_until = patch.communicationDisabledUntil;
  }
  ctx.state.putMember(next);
  dispatchMemberUpdate(ctx, next);
  return next;
}

/** Adds a member (GUILD_MEMBER_ADD; when the bot itself joins, GUILD_CREATE). */
export function addMember(ctx: EmulatorContext, guildId: string, input: MemberInput): MemberRecord {
  const guild = requireGuild(ctx, guildId);
  ensureUser(ctx, input.userId, input.user);
  if (ctx.state.member(guildId, input.userId)) {
    throw Errors.badRequest(`User ${input.userId} is already a member of guild ${guildId}`);
  }
  const member = newMember(
    guildId,
    input.userId,
    memberRoleIds(ctx, guildId, input.roles),
    input.nick ?? null,
    input.joinedAt ?? new Date().toISOString(),
  );
  ctx.state.putMember(member);
  if (input.userId === ctx.state.application().id) {
    ctx.gateway.dispatch({
      t: 'GUILD_CREATE',
      d: null,
      perSession: (session) => apiGuildCreate(ctx.state, guild, session.userId),
      guildId,
      intents: GatewayIntents.Guilds,
    });
  } else {
    ctx.gateway.dispatch({
      t: 'GUILD_MEMBER_ADD',
      d: memberEventPayload(ctx, member),
      guildId,
      intents: GatewayIntents.GuildMembers,
    });
  }
  return member;
}

/** Removes a member (GUILD_MEMBER_REMOVE; when the bot itself leaves, GUILD_DELETE). */
export function removeMember(ctx: EmulatorContext, guildId: string, userId: string): void {
  const guild = requireGuild(ctx, guildId);
  requireMember(ctx, guildId, userId);
  if (userId === guild.owner_id) throw Errors.badRequest('The guild owner cannot be removed');
  ctx.gateway.dispatch({
    t: 'GUILD_MEMBER_REMOVE',
    d: { guild_id: guildId, user: apiUser(ctx.state.user(userId) ?? unknownUser(userId)) },
    guildId,
    intents: GatewayIntents.GuildMembers,
  });
  if (userId === ctx.state.application().id) {
    ctx.gateway.dispatch({ t: 'GUILD_DELETE', d: { id: guildId }, guildId, intents: GatewayIntents.Guilds });
  }
  ctx.state.deleteMember(guildId, userId);
}
