import { z } from 'zod';
import { AuditLogAction, audit } from '../../domain/audit_log.js';
import type { EmulatorContext } from '../../domain/context.js';
import { guildPermissionsOf } from '../../domain/member_permissions.js';
import { EmulatorError, Errors } from '../../errors.js';
import { json } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import type { CommandPermissionsRecord } from '../../state/records.js';
import { guildRoute } from '../bot_routes.js';
import { botGuild } from '../guard.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const SCOPE = 'applications.commands.permissions.update';
const permissionsSchema = z.looseObject({
  permissions: z
    .array(
      z.looseObject({
        id: z.string().regex(/^\d{1,20}$/),
        type: z.int().min(1).max(3),
        permission: z.boolean(),
      }),
    )
    .max(100),
});

const view = (record: CommandPermissionsRecord, applicationId: string) => ({
  id: record.command_id,
  application_id: applicationId,
  guild_id: record.guild_id,
  permissions: record.permissions.map((x) => ({ ...x })),
});

function target(ctx: EmulatorContext, req: RestRequest): { guildId: string; commandId: string } {
  const appId = ctx.state.application().id;
  if (p(req, 'applicationId') !== appId) throw Errors.notApplicationOwner();
  const guild = botGuild(ctx, p(req, 'guildId'));
  const commandId = p(req, 'commandId');
  const command = ctx.state.command(commandId);
  if (commandId !== appId && (!command || (command.guild_id !== null && command.guild_id !== guild.id))) {
    throw Errors.unknownCommand();
  }
  return { guildId: guild.id, commandId };
}

/** `GET /applications/:appId/guilds/:guildId/commands/permissions`: every command's permissions in the guild. */
export const listCommandPermissions: RestRoute = guildRoute((ctx, req) => {
  if (p(req, 'applicationId') !== ctx.state.application().id) throw Errors.notApplicationOwner();
  const guild = botGuild(ctx, p(req, 'guildId'));
  const appId = ctx.state.application().id;
  return json(
    200,
    ctx.state.commandPermissions.where((r) => r.guild_id === guild.id).map((r) => view(r, appId)),
  );
});

/** `GET …/commands/:commandId/permissions`; 404 10066 when none were set. */
export const getCommandPermissions: RestRoute = guildRoute((ctx, req) => {
  const { guildId, commandId } = target(ctx, req);
  const record = ctx.state.commandPermissions.get(`${guildId}:${commandId}`);
  if (!record) throw new EmulatorError(404, 10066, 'Unknown application command permissions');
  return json(200, view(record, ctx.state.application().id));
});

/**
 * `PUT …/commands/:commandId/permissions`: like Discord, only with a user's Bearer token carrying
 * `applications.commands.permissions.update`, for a user with MANAGE_GUILD and MANAGE_ROLES (bot token → 401).
 * Dispatches APPLICATION_COMMAND_PERMISSIONS_UPDATE.
 */
export const setCommandPermissions: RestRoute = {
  auth: 'bearer',
  major: 'guildId',
  handler: (ctx, req) => {
    const auth = req.auth;
    if (auth?.kind !== 'bearer' || !auth.scopes.includes(SCOPE)) throw Errors.unauthorized();
    const { guildId, commandId } = target(ctx, req);
    const needed = PermissionFlags.ManageGuild | PermissionFlags.ManageRoles;
    if ((guildPermissionsOf(ctx.state, guildId, auth.userId) & needed) !== needed)
      throw Errors.missingPermissions();
    const { value } = validateBody(req, permissionsSchema);
    const record = ctx.state.commandPermissions.put({
      guild_id: guildId,
      command_id: commandId,
      permissions: value.permissions,
    });
    const appId = ctx.state.application().id;
    ctx.gateway.dispatch({
      t: 'APPLICATION_COMMAND_PERMISSIONS_UPDATE',
      d: view(record, appId),
      guildId,
      intents: 0,
    });
    audit(ctx, {
      guildId,
      userId: auth.userId,
      targetId: commandId,
      action: AuditLogAction.CommandPermissionUpdate,
      options: { application_id: appId },
    });
    return json(200, view(record, appId));
  },
};
