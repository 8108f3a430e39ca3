import { z } from 'zod';
import type { CommandData } from '../domain/commands.js';
import type { EmulatorError } from '../errors.js';
import { type HttpResult, json, noContent } from '../http/http_result.js';
import { type RouteParams, Router } from '../http/path_router.js';
import type { EmulatorSnapshot } from '../state/state_store.js';
import type { EmulatorControl } from './control_api.js';
import { registerCommandsSchema } from './control_schemas.js';

/** What control routes get. */
export interface ControlRequest {
  params: RouteParams;
  query: URLSearchParams;
  body: unknown;
}

/** What control routes can reach. */
export interface ControlHttpDeps {
  control: EmulatorControl;
  snapshot(): EmulatorSnapshot;
  restore(snapshot: EmulatorSnapshot): void;
}

/** A control route handler. */
export type ControlRoute = (deps: ControlHttpDeps, req: ControlRequest) => HttpResult;

const p = (req: ControlRequest, name: string): string => req.params[name] ?? '';
// Bodies are validated by the control methods themselves (same zod schemas as the in-process API).
const body = <T>(req: ControlRequest): T => req.body as T;

const resetSchema = z.strictObject({ seed: z.enum(['demo', 'empty']).optional() });

/** `{ error: { code, message } }` for a failed control call. */
export function controlError(error: EmulatorError): HttpResult {
  const code =
    error.code === 50035
      ? 'invalid_body'
      : error.code === 50109
        ? 'invalid_json'
        : error.status === 404
          ? 'not_found'
          : error.status === 403
            ? 'forbidden'
            : 'bad_request';
  return json(error.status === 401 || error.status === 403 ? 400 : error.status, {
    error: { code, message: error.message },
  });
}

/** State, snapshots, reset, users and guilds. */
function addStateRoutes(router: Router<ControlRoute>): Router<ControlRoute> {
  return router
    .add('GET', '/state', ({ control }) => json(200, control.state()))
    .add('GET', '/snapshot', ({ snapshot }) => json(200, snapshot()))
    .add('POST', '/restore', ({ restore }, req) => {
      restore(body<EmulatorSnapshot>(req));
      return noContent();
    })
    .add('POST', '/reset', ({ control }, req) => {
      const parsed = resetSchema.safeParse(req.body ?? {});
      if (!parsed.success)
        return json(400, { error: { code: 'invalid_body', message: parsed.error.message } });
      control.reset(parsed.data.seed);
      return noContent();
    })
    .add('POST', '/users', ({ control }, req) => json(201, control.createUser(body(req))))
    .add('POST', '/guilds', ({ control }, req) => json(201, control.createGuild(body(req))))
    .add('GET', '/guilds/:guildId', ({ control }, req) => json(200, control.guild(p(req, 'guildId'))))
    .add('PATCH', '/guilds/:guildId', ({ control }, req) =>
      json(200, control.updateGuild(p(req, 'guildId'), body(req))),
    );
}

/** Bans, DMs, reactions and threads. */
function addModerationRoutes(router: Router<ControlRoute>): Router<ControlRoute> {
  return router
    .add('PUT', '/guilds/:guildId/bans/:userId', ({ control }, req) => {
      control.banMember(p(req, 'guildId'), p(req, 'userId'), body(req));
      return noContent();
    })
    .add('DELETE', '/guilds/:guildId/bans/:userId', ({ control }, req) => {
      control.unbanMember(p(req, 'guildId'), p(req, 'userId'), { byUserId: req.query.get('byUserId') ?? '' });
      return noContent();
    })
    .add('POST', '/users/:userId/dm', ({ control }, req) => json(200, control.openDm(p(req, 'userId'))))
    .add('PUT', '/channels/:channelId/messages/:messageId/reactions', ({ control }, req) => {
      control.addReaction(p(req, 'channelId'), p(req, 'messageId'), body(req));
      return noContent();
    })
    .add('DELETE', '/channels/:channelId/messages/:messageId/reactions', ({ control }, req) => {
      control.removeReaction(p(req, 'channelId'), p(req, 'messageId'), {
        userId: req.query.get('userId') ?? '',
        emoji: req.query.get('emoji') ?? '',
      });
      return noContent();
    })
    .add('POST', '/channels/:channelId/threads', ({ control }, req) =>
      json(201, control.createThread(p(req, 'channelId'), body(req))),
    );
}

/** Guild deletion, members, roles. */
function addGuildPartRoutes(router: Router<ControlRoute>): Router<ControlRoute> {
  router.add('DELETE', '/guilds/:guildId', ({ control }, req) => {
    control.deleteGuild(p(req, 'guildId'));
    return noContent();
  });
  addGuildPartCrud(router, 'members', 'userId', {
    create: (c, guildId, req) => c.addMember(guildId, body(req)),
    update: (c, guildId, id, req) => c.updateMember(guildId, id, body(req)),
    remove: (c, guildId, id) => c.removeMember(guildId, id),
  });
  return addGuildPartCrud(router, 'roles', 'roleId', {
    create: (c, guildId, req) => c.createRole(guildId, body(req)),
    update: (c, guildId, id, req) => c.updateRole(guildId, id, body(req)),
    remove: (c, guildId, id) => c.deleteRole(guildId, id),
  });
}

/** `POST /guilds/:guildId/<part>` (201), `PATCH …/:id` (200) and `DELETE …/:id` (204). */
function addGuildPartCrud(
  router: Router<ControlRoute>,
  part: string,
  idParam: string,
  ops: {
    create(control: EmulatorControl, guildId: string, req: ControlRequest): unknown;
    update(control: EmulatorControl, guildId: string, id: string, req: ControlRequest): unknown;
    remove(control: EmulatorControl, guildId: string, id: string): unknown;
  },
): Router<ControlRoute> {
  const one = `/guilds/:guildId/${part}/:${idParam}`;
  return router
    .add('POST', `/guilds/:guildId/${part}`, ({ control }, req) =>
      json(201, ops.create(control, p(req, 'guildId'), req)),
    )
    .add('PATCH', one, ({ control }, req) =>
      json(200, ops.update(control, p(req, 'guildId'), p(req, idParam), req)),
    )
    .add('DELETE', one, ({ control }, req) => {
      ops.remove(control, p(req, 'guildId'), p(req, idParam));
      return noContent();
    });
}

/** Channels and their messages. */
function addChannelRoutes(router: Router<ControlRoute>): Router<ControlRoute> {
  return router
    .add('POST', '/guilds/:guildId/channels', ({ control }, req) =>
      json(201, control.createChannel(p(req, 'guildId'), body(req))),
    )
    .add('PATCH', '/channels/:channelId', ({ control }, req) =>
      json(200, control.updateChannel(p(req, 'channelId'), body(req))),
    )
    .add('DELETE', '/channels/:channelId', ({ control }, req) =>
      json(200, control.deleteChannel(p(req, 'channelId'))),
    )
    .add('POST', '/channels/:channelId/messages', ({ control }, req) =>
      json(201, control.sendMessage(p(req, 'channelId'), body(req))),
    )
    .add('GET', '/channels/:channelId/messages', ({ control }, req) =>
      json(
        200,
        control.messages(p(req, 'channelId'), {
          includeEphemeral: req.query.get('includeEphemeral') === 'true',
        }),
      ),
    );
}

/** Interactions, commands and the gateway. */
function addInteractionRoutes(router: Router<ControlRoute>): Router<ControlRoute> {
  return router
    .add('POST', '/interactions', ({ control }, req) => json(201, control.createInteraction(body(req))))
    .add('GET', '/interactions/:interactionId', ({ control }, req) =>
      json(200, control.interaction(p(req, 'interactionId'))),
    )
    .add('GET', '/commands', ({ control }, req) =>
      json(200, control.commands(req.query.get('guildId') ?? undefined)),
    )
    .add('PUT', '/commands', ({ control }, req) => {
      const parsed = registerCommandsSchema.safeParse(req.body);
      if (!parsed.success)
        return json(400, { error: { code: 'invalid_body', message: parsed.error.message } });
      const commands = body<{ commands: CommandData[] }>(req).commands;
      return json(200, control.registerCommands(commands, parsed.data.guildId ?? undefined));
    })
    .add('GET', '/gateway/sessions', ({ control }) => json(200, control.sessions()))
    .add('POST', '/gateway/disconnect', ({ control }, req) =>
      json(200, control.disconnectGateway(body(req) ?? {})),
    );
}

/** The `/_emulator` routes (paths relative to `/_emulator`). */
export function createControlRouter(): Router<ControlRoute> {
  const router = new Router<ControlRoute>();
  for (const add of [
    addStateRoutes,
    addModerationRoutes,
    addGuildPartRoutes,
    addChannelRoutes,
    addInteractionRoutes,
  ]) {
    add(router);
  }
  return router;
}
