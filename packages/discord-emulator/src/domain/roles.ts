import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { parsePermissions } from '../permission_flags.js';
import { apiRole } from '../shapes/guild_shapes.js';
import type { RoleRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';
import { buildRole, requireGuild } from './guilds.js';
import type { RoleInput, RolePatch } from './inputs.js';

/** A role of a guild that must exist. */
export function requireRole(ctx: EmulatorContext, guildId: string, roleId: string): RoleRecord {
  requireGuild(ctx, guildId);
  const role = ctx.state.role(roleId);
  if (!role || role.guild_id !== guildId) throw Errors.unknownRole();
  return role;
}

/** Creates a role (GUILD_ROLE_CREATE). */
export function createRole(ctx: EmulatorContext, guildId: string, input: RoleInput): RoleRecord {
  requireGuild(ctx, guildId);
  if (input.id !== undefined && ctx.state.role(input.id))
    throw Errors.badRequest(`Role ${input.id} already exists`);
  const top = Math.max(0, ...ctx.state.roles(guildId).map((r) => r.position));
  const role = buildRole(ctx, guildId, input, top + 1);
  ctx.state.putRole(role);
  dispatchRole(ctx, 'GUILD_ROLE_CREATE', role);
  return role;
}

/** GUILD_ROLE_CREATE or GUILD_ROLE_UPDATE with the role as it is now. */
function dispatchRole(
  ctx: EmulatorContext,
  t: 'GUILD_ROLE_CREATE' | 'GUILD_ROLE_UPDATE',
  role: RoleRecord,
): void {
  ctx.gateway.dispatch({
    t,
    d: { guild_id: role.guild_id, role: apiRole(role) },
    guildId: role.guild_id,
    intents: GatewayIntents.Guilds,
  });
}

/** Updates a role (GUILD_ROLE_UPDATE). */
export function updateRole(
  ctx: EmulatorContext,
  guildId: string,
  roleId: string,
  patch: RolePatch,
): RoleRecord {
  const role = requireRole(ctx, guildId, roleId);
  const next: RoleRecord = { ...role };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.permissions !== undefined) next.permissions = parsePermissions(patch.permissions).toString();
  if (patch.color !== undefined) next.color = patch.color;
  if (patch.hoist !== undefined) next.hoist = patch.hoist;
  if (patch.mentionable !== undefined) next.mentionable = patch.mentionable;
  if (patch.position !== undefined && roleId !== guildId) next.position = patch.position;
  ctx.state.putRole(next);
  dispatchRole(ctx, 'GUILD_ROLE_UPDATE', next);
  return next;
}

/** Deletes a role (GUILD_ROLE_DELETE); members lose it. @everyone and managed roles can't be deleted. */
export function deleteRole(ctx: EmulatorContext, guildId: string, roleId: string): void {
  const role = requireRole(ctx, guildId, roleId);
  if (role.id === guildId) throw Errors.badRequest('The @everyone role cannot be deleted');
  if (role.managed) throw Errors.badRequest('Managed roles cannot be deleted');
  ctx.state.deleteRole(roleId);
  ctx.gateway.dispatch({
    t: 'GUILD_ROLE_DELETE',
    d: { guild_id: guildId, role_id: roleId },
    guildId,
    intents: GatewayIntents.Guilds,
  });
}
