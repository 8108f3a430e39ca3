import type { EmulatorContext } from '../../domain/context.js';
import { highestRolePosition } from '../../domain/member_permissions.js';
import { removeMember, requireMember, updateMember } from '../../domain/members.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiChannel } from '../../shapes/channel_shapes.js';
import { apiGuild, apiMember, apiRole } from '../../shapes/guild_shapes.js';
import { compareSnowflakes } from '../../snowflake.js';
import { guildRoute } from '../bot_routes.js';
import { botGuild, requireAbove, requireGuildPermission } from '../guard.js';
import { memberPatchSchema } from '../rest_schemas.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const guildId = (req: RestRequest): string => req.params['guildId'] ?? '';

function intQuery(req: RestRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = req.query.get(name);
  const value = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw Errors.invalidField([name], 'NUMBER_TYPE_MAX', `int value should be between ${min} and ${max}.`);
  }
  return value;
}

/** `GET /guilds/:guildId` (`with_counts`). */
export const getGuild: RestRoute = {
  auth: 'bot',
  major: 'guildId',
  handler: (ctx, req) =>
    json(200, apiGuild(ctx.state, botGuild(ctx, guildId(req)), req.query.get('with_counts') === 'true')),
};

/** `GET /guilds/:guildId/channels`. */
export const getGuildChannels: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  return json(
    200,
    ctx.state
      .channels(guild.id)
      .filter((c) => !c.thread)
      .map(apiChannel),
  );
});

/** `GET /guilds/:guildId/roles`. */
export const getGuildRoles: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  return json(200, ctx.state.roles(guild.id).map(apiRole));
});

/** `GET /guilds/:guildId/roles/:roleId`. */
export const getGuildRole: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  const role = ctx.state.role(req.params['roleId'] ?? '');
  if (!role || role.guild_id !== guild.id) throw Errors.unknownRole();
  return json(200, apiRole(role));
});

/** `GET /guilds/:guildId/members` (`limit` 1-1000, default 1; `after`); needs the GUILD_MEMBERS privileged intent. */
export const listGuildMembers: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  if (!ctx.config.privilegedIntents) throw Errors.missingAccess();
  const limit = intQuery(req, 'limit', 1, 1, 1000);
  const after = req.query.get('after') ?? '0';
  const members = ctx.state
    .members(guild.id)
    .filter((m) => compareSnowflakes(m.user_id, after) > 0)
    .slice(0, limit);
  return json(
    200,
    members.map((m) => apiMember(ctx.state, m)),
  );
});

/** `GET /guilds/:guildId/members/search` (`query` prefix of username or nick, `limit`). */
export const searchGuildMembers: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  const query = req.query.get('query');
  if (query === null) throw Errors.invalidField(['query'], 'BASE_TYPE_REQUIRED', 'This field is required');
  const limit = intQuery(req, 'limit', 1, 1, 1000);
  const q = query.toLowerCase();
  const members = ctx.state.members(guild.id).filter((m) => {
    const user = ctx.state.user(m.user_id);
    return (
      (user?.username.toLowerCase().startsWith(q) ?? false) || (m.nick?.toLowerCase().startsWith(q) ?? false)
    );
  });
  return json(
    200,
    members.slice(0, limit).map((m) => apiMember(ctx.state, m)),
  );
});

function resolveUserId(ctx: EmulatorContext, req: RestRequest): string {
  const raw = req.params['userId'] ?? '';
  return raw === '@me' ? ctx.state.application().id : raw;
}

/** `GET /guilds/:guildId/members/:userId`. */
export const getGuildMember: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  return json(200, apiMember(ctx.state, requireMember(ctx, guild.id, resolveUserId(ctx, req))));
});

/** `PATCH /guilds/:guildId/members/:userId` (roles, nick, timeout), with Discord's permission and hierarchy checks. */
export const modifyGuildMember: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  const userId = resolveUserId(ctx, req);
  const member = requireMember(ctx, guild.id, userId);
  const { value } = validateBody(req, memberPatchSchema);
  const botId = ctx.state.application().id;
  const targetPosition = highestRolePosition(ctx.state, guild.id, userId);
  if (value.roles !== undefined && value.roles !== null) {
    requireGuildPermission(ctx, guild.id, PermissionFlags.ManageRoles);
    const changed = [
      ...value.roles.filter((r) => !member.roles.includes(r)),
      ...member.roles.filter((r) => !value.roles?.includes(r)),
    ];
    for (const roleId of changed) {
      const role = ctx.state.role(roleId);
      if (!role || role.guild_id !== guild.id) throw Errors.unknownRole();
      if (role.managed) throw Errors.missingPermissions();
      requireAbove(ctx, guild.id, role.position);
    }
  }
  if (value.nick !== undefined) {
    if (userId === botId) requireGuildPermission(ctx, guild.id, PermissionFlags.ChangeNickname);
    else {
      requireGuildPermission(ctx, guild.id, PermissionFlags.ManageNicknames);
      requireAbove(ctx, guild.id, targetPosition);
    }
  }
  if (value.communication_disabled_until !== undefined) {
    requireGuildPermission(ctx, guild.id, PermissionFlags.ModerateMembers);
    requireAbove(ctx, guild.id, targetPosition);
  }
  const updated = updateMember(ctx, guild.id, userId, {
    ...(value.roles != null ? { roles: value.roles } : {}),
    ...(value.nick !== undefined ? { nick: value.nick } : {}),
    ...(value.communication_disabled_until !== undefined
      ? { communicationDisabledUntil: value.communication_disabled_until }
      : {}),
  });
  return json(200, apiMember(ctx.state, updated));
});

function memberRoleChange(add: boolean): RestRoute {
  return {
    auth: 'bot',
    major: 'guildId',
    handler: (ctx, req) => {
      const guild = botGuild(ctx, guildId(req));
      const userId = resolveUserId(ctx, req);
      const member = requireMember(ctx, guild.id, userId);
      const role = ctx.state.role(req.params['roleId'] ?? '');
      if (!role || role.guild_id !== guild.id) throw Errors.unknownRole();
      requireGuildPermission(ctx, guild.id, PermissionFlags.ManageRoles);
      if (role.managed || role.id === guild.id) throw Errors.missingPermissions();
      requireAbove(ctx, guild.id, role.position);
      const has = member.roles.includes(role.id);
      if (add !== has) {
        const roles = add ? [...member.roles, role.id] : member.roles.filter((r) => r !== role.id);
        updateMember(ctx, guild.id, userId, { roles });
      }
      return noContent();
    },
  };
}

/** `PUT /guilds/:guildId/members/:userId/roles/:roleId`. */
export const addGuildMemberRole: RestRoute = memberRoleChange(true);

/** `DELETE /guilds/:guildId/members/:userId/roles/:roleId`. */
export const removeGuildMemberRole: RestRoute = memberRoleChange(false);

/** `DELETE /guilds/:guildId/members/:userId` (kick). */
export const kickGuildMember: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, guildId(req));
  const userId = resolveUserId(ctx, req);
  requireMember(ctx, guild.id, userId);
  requireGuildPermission(ctx, guild.id, PermissionFlags.KickMembers);
  if (userId === guild.owner_id) throw Errors.missingPermissions();
  requireAbove(ctx, guild.id, highestRolePosition(ctx.state, guild.id, userId));
  removeMember(ctx, guild.id, userId);
  return noContent();
});
