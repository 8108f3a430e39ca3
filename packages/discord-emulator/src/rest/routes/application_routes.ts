import type { z } from 'zod';
import {
  type CommandData,
  createCommand,
  editCommand,
  overwriteCommands,
  requireCommand,
} from '../../domain/commands.js';
import type { EmulatorContext } from '../../domain/context.js';
import { Errors } from '../../errors.js';
import { type HttpResult, json, noContent } from '../../http/http_result.js';
import { apiApplication } from '../../shapes/application_shape.js';
import { apiCommand } from '../../shapes/command_shapes.js';
import { apiUser, unknownUser } from '../../shapes/user_shapes.js';
import { botGuild } from '../guard.js';
import { commandListSchema, commandPatchSchema, commandSchema, validCommandName } from '../rest_schemas.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

/** `GET /applications/@me` and `GET /oauth2/applications/@me`. */
export const getCurrentApplication: RestRoute = {
  auth: 'bot',
  handler: (ctx) => json(200, apiApplication(ctx.state)),
};

/** `GET /oauth2/@me`: the current OAuth2 authorization. */
export const getCurrentAuthorization: RestRoute = {
  auth: 'bearer',
  handler: (ctx, req) => {
    const auth = req.auth;
    if (auth?.kind !== 'bearer') throw Errors.unauthorized();
    const grant = ctx.state.oauthToken(auth.accessToken);
    const body: Record<string, unknown> = {
      application: apiApplication(ctx.state),
      scopes: auth.scopes,
      expires: new Date(grant?.expires_at ?? Date.now()).toISOString(),
    };
    if (auth.scopes.includes('identify'))
      body['user'] = apiUser(ctx.state.user(auth.userId) ?? unknownUser(auth.userId));
    return json(200, body);
  },
};

/** Scope of a command route: null for global commands, else the guild id (checked). */
function scopeOf(ctx: EmulatorContext, req: RestRequest): string | null {
  if (req.params['applicationId'] !== ctx.state.application().id) throw Errors.notApplicationOwner();
  const guildId = req.params['guildId'];
  if (guildId === undefined) return null;
  return botGuild(ctx, guildId).id;
}

/** A bot-token route on `/applications/:applicationId/[guilds/:guildId/]commands…`; the handler gets {@link scopeOf}. */
function commandsRoute(
  handler: (ctx: EmulatorContext, req: RestRequest, scope: string | null) => HttpResult,
): RestRoute {
  return { auth: 'bot', major: 'applicationId', handler: (ctx, req) => handler(ctx, req, scopeOf(ctx, req)) };
}

type CommandBody = z.output<typeof commandPatchSchema>;

function toCommandPatch(value: CommandBody): Partial<CommandData> {
  const patch: Partial<CommandData> = {
    name_localizations: value.name_localizations,
    description_localizations: value.description_localizations,
    default_member_permissions: value.default_member_permissions,
    contexts: value.contexts,
  };
  if (value.name !== undefined) patch.name = value.name;
  if (value.description != null) patch.description = value.description;
  if (value.options != null) patch.options = value.options;
  if (value.nsfw != null) patch.nsfw = value.nsfw;
  if (value.integration_types != null) patch.integration_types = value.integration_types;
  return patch;
}

function toCommandData(value: z.output<typeof commandSchema>): CommandData {
  return {
    ...toCommandPatch(value),
    name: value.name,
    type: value.type ?? 1,
    dm_permission: value.dm_permission,
  };
}

/** `GET .../commands`. */
export const listCommands: RestRoute = commandsRoute((ctx, _req, scope) =>
  json(200, ctx.state.commands(scope).map(apiCommand)),
);

/** `PUT .../commands`: bulk overwrite. */
export const overwriteCommandsRoute: RestRoute = commandsRoute((ctx, req, scope) => {
  const { value } = validateBody(req, commandListSchema);
  return json(200, overwriteCommands(ctx, scope, value.map(toCommandData)).map(apiCommand));
});

/** `POST .../commands`: create (201) or overwrite same name and type (200). */
export const createCommandRoute: RestRoute = commandsRoute((ctx, req, scope) => {
  const { value } = validateBody(req, commandSchema);
  const { command, created } = createCommand(ctx, scope, toCommandData(value));
  return json(created ? 201 : 200, apiCommand(command));
});

/** `GET .../commands/:commandId`. */
export const getCommand: RestRoute = commandsRoute((ctx, req, scope) =>
  json(200, apiCommand(requireCommand(ctx, scope, req.params['commandId'] ?? ''))),
);

/** `PATCH .../commands/:commandId`. */
export const editCommandRoute: RestRoute = commandsRoute((ctx, req, scope) => {
  const { value } = validateBody(req, commandPatchSchema);
  const current = requireCommand(ctx, scope, req.params['commandId'] ?? '');
  if (value.name !== undefined && !validCommandName(current.type, value.name)) {
    throw Errors.invalidField(['name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Invalid command name');
  }
  return json(200, apiCommand(editCommand(ctx, scope, req.params['commandId'] ?? '', toCommandPatch(value))));
});

/** `DELETE .../commands/:commandId`. */
export const deleteCommandRoute: RestRoute = commandsRoute((ctx, req, scope) => {
  const command = requireCommand(ctx, scope, req.params['commandId'] ?? '');
  ctx.state.deleteCommand(command.id);
  return noContent();
});
