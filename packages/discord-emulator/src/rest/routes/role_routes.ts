import { z } from 'zod';
import { AuditLogAction } from '../../domain/audit_log.js';
import type { EmulatorContext } from '../../domain/context.js';
import { guildPermissionsOf } from '../../domain/member_permissions.js';
import { createRole, deleteRole, requireRole, updateRole } from '../../domain/roles.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags, parsePermissions } from '../../permission_flags.js';
import { apiRole } from '../../shapes/guild_shapes.js';
import type { RoleRecord } from '../../state/records.js';
import { guildPermissionRoute, guildRoute } from '../bot_routes.js';
import { auditRecord, botGuild, requireAbove } from '../guard.js';
import type { RestRequest } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const roleSchema = z.looseObject({
  name: z.string().max(100).nullish(),
  permissions: z.union([z.string().regex(/^\d+$/), z.int()]).nullish(),
  color: z.int().min(0).max(0xffffff).nullish(),
  hoist: z.boolean().nullish(),
  mentionable: z.boolean().nullish(),
  icon: z.string().nullish(),
  unicode_emoji: z.string().nullish(),
});

/** The role fields a body sets (null and absent leave them as they are). */
function optionalRoleFields(value: z.output<typeof roleSchema>) {
  return {
    ...(value.permissions != null ? { permissions: String(value.permissions) } : {}),
    ...(value.color != null ? { color: value.color } : {}),
    ...(value.hoist != null ? { hoist: value.hoist } : {}),
    ...(value.mentionable != null ? { mentionable: value.mentionable } : {}),
  };
}

/** The audited fields of a role. */
const auditedRole = (r: RoleRecord) => ({
  name: r.name,
  permissions: r.permissions,
  color: r.color,
  hoist: r.hoist,
  mentionable: r.mentionable,
});

/** The bot may only grant permissions it has itself (unless it is an administrator). */
function checkGrantable(
  ctx: EmulatorContext,
  guildId: string,
  permissions: string | number | null | undefined,
): void {
  if (permissions == null) return;
  const own = guildPermissionsOf(ctx.state, guildId, ctx.state.application().id);
  if ((own & PermissionFlags.Administrator) === 0n && (parsePermissions(permissions) & ~own) !== 0n)
    throw Errors.missingPermissions();
}

/** `POST /guilds/:guildId/roles` (MANAGE_ROLES); GUILD_ROLE_CREATE. */
export const createGuildRole = guildPermissionRoute(PermissionFlags.ManageRoles, (ctx, req, guild) => {
  const { value } = validateBody(req, roleSchema);
  checkGrantable(ctx, guild.id, value.permissions);
  if (ctx.state.roles(guild.id).length >= 250)
    throw Errors.invalidField(['name'], 'MAX_ROLES', 'Maximum number of server roles reached (250)');
  // New roles sit right above @everyone (position 1), like on Discord.
  const role = createRole(ctx, guild.id, {
    name: value.name ?? 'new role',
    position: 1,
    ...optionalRoleFields(value),
  });
  auditRecord(ctx, req, AuditLogAction.RoleCreate, null, role, auditedRole);
  return json(200, apiRole(role));
});

/** `PATCH /guilds/:guildId/roles/:roleId` (MANAGE_ROLES, below the bot's top role); GUILD_ROLE_UPDATE. */
export const editGuildRole = guildPermissionRoute(PermissionFlags.ManageRoles, (ctx, req, guild) => {
  const role = requireRole(ctx, guild.id, p(req, 'roleId'));
  if (role.id !== guild.id) requireAbove(ctx, guild.id, role.position);
  const { value } = validateBody(req, roleSchema);
  checkGrantable(ctx, guild.id, value.permissions);
  const next = updateRole(ctx, guild.id, role.id, {
    ...(value.name != null ? { name: value.name } : {}),
    ...optionalRoleFields(value),
  });
  auditRecord(ctx, req, AuditLogAction.RoleUpdate, role, next, auditedRole);
  return json(200, apiRole(next));
});

/** `DELETE /guilds/:guildId/roles/:roleId` (MANAGE_ROLES; not @everyone nor managed roles); GUILD_ROLE_DELETE. */
export const deleteGuildRole = guildPermissionRoute(PermissionFlags.ManageRoles, (ctx, req, guild) => {
  const role = requireRole(ctx, guild.id, p(req, 'roleId'));
  if (role.id === guild.id || role.managed)
    throw Errors.invalidField(['role_id'], 'INVALID_ROLE', 'Invalid Role');
  requireAbove(ctx, guild.id, role.position);
  deleteRole(ctx, guild.id, role.id);
  auditRecord(ctx, req, AuditLogAction.RoleDelete, role, null, auditedRole);
  return noContent();
});

const positionsSchema = z
  .array(z.looseObject({ id: z.string().regex(/^\d{1,20}$/), position: z.int().nullish() }))
  .min(1);

/** `PATCH /guilds/:guildId/roles` (positions, MANAGE_ROLES; only roles below the bot's); GUILD_ROLE_UPDATE each. */
export const moveGuildRoles = guildPermissionRoute(PermissionFlags.ManageRoles, (ctx, req, guild) => {
  const { value } = validateBody(req, positionsSchema);
  for (const item of value) {
    const role = requireRole(ctx, guild.id, item.id);
    if (role.id === guild.id) throw Errors.invalidField(['id'], 'INVALID_ROLE', 'Invalid Role');
    requireAbove(ctx, guild.id, Math.max(role.position, item.position ?? 0));
  }
  for (const item of value) {
    if (item.position != null) updateRole(ctx, guild.id, item.id, { position: item.position });
  }
  return json(200, ctx.state.roles(guild.id).map(apiRole));
});

/** `GET /guilds/:guildId/roles/member-counts`: members per role id (@everyone excluded). */
export const roleMemberCounts = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  const members = ctx.state.members(guild.id);
  const counts: Record<string, number> = {};
  for (const role of ctx.state.roles(guild.id)) {
    if (role.id !== guild.id) counts[role.id] = members.filter((m) => m.roles.includes(role.id)).length;
  }
  return json(200, counts);
});
