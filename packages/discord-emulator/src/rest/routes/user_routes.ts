import { z } from 'zod';
import { openDm } from '../../domain/dm_channels.js';
import { guildPermissionsOf } from '../../domain/member_permissions.js';
import { removeMember } from '../../domain/members.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { apiDmChannel } from '../../shapes/channel_shapes.js';
import { apiMember, apiPartialGuild } from '../../shapes/guild_shapes.js';
import { apiUser } from '../../shapes/user_shapes.js';
import { compareSnowflakes } from '../../snowflake.js';
import type { RestAuth } from '../auth.js';
import { guildRoute } from '../bot_routes.js';
import type { RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const dmSchema = z.looseObject({ recipient_id: z.string().regex(/^\d{1,20}$/, 'Value is not snowflake.') });

function requireScope(auth: RestAuth | null, scope: string): void {
  if (auth?.kind === 'bearer' && !auth.scopes.includes(scope)) throw Errors.unauthorized();
}

/** `GET /users/@me`: the bot user, or the OAuth2 user (`identify`; `email` adds email/verified). */
export const getCurrentUser: RestRoute = {
  auth: 'any',
  handler: (ctx, req) => {
    requireScope(req.auth, 'identify');
    const auth = req.auth;
    const user = auth ? ctx.state.user(auth.userId) : undefined;
    if (!auth || !user) throw Errors.unauthorized();
    if (auth.kind === 'bot')
      return json(200, { ...apiUser(user, { self: true }), verified: true, email: null });
    return json(200, apiUser(user, { self: true, email: auth.scopes.includes('email') }));
  },
};

/** `GET /users/:id`. */
export const getUser: RestRoute = {
  auth: 'bot',
  handler: (ctx, req) => {
    const user = ctx.state.user(req.params['userId'] ?? '');
    if (!user) throw Errors.unknownUser();
    return json(200, apiUser(user));
  },
};

/** `GET /users/@me/guilds`: partial guilds with `owner` and computed `permissions` (`guilds` scope). */
export const getCurrentUserGuilds: RestRoute = {
  auth: 'any',
  handler: (ctx, req) => {
    requireScope(req.auth, 'guilds');
    const userId = req.auth?.userId ?? '';
    const before = req.query.get('before');
    const after = req.query.get('after');
    const limitRaw = Number(req.query.get('limit') ?? 200);
    if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > 200) {
      throw Errors.invalidField(['limit'], 'NUMBER_TYPE_MAX', 'int value should be between 1 and 200.');
    }
    const withCounts = req.query.get('with_counts') === 'true';
    let guilds = ctx.state.guilds().filter((g) => ctx.state.member(g.id, userId));
    if (after) guilds = guilds.filter((g) => compareSnowflakes(g.id, after) > 0);
    if (before) guilds = guilds.filter((g) => compareSnowflakes(g.id, before) < 0).slice(-limitRaw);
    return json(
      200,
      guilds
        .slice(0, limitRaw)
        .map((g) =>
          apiPartialGuild(ctx.state, g, guildPermissionsOf(ctx.state, g.id, userId), userId, withCounts),
        ),
    );
  },
};

/** `GET /users/@me/guilds/:guildId/member` (`guilds.members.read` scope). */
export const getCurrentUserGuildMember: RestRoute = {
  auth: 'bearer',
  handler: (ctx, req) => {
    requireScope(req.auth, 'guilds.members.read');
    const guildId = req.params['guildId'] ?? '';
    if (!ctx.state.guild(guildId)) throw Errors.unknownGuild();
    const member = ctx.state.member(guildId, req.auth?.userId ?? '');
    if (!member) throw Errors.unknownGuild();
    return json(200, apiMember(ctx.state, member));
  },
};

/** `DELETE /users/@me/guilds/:guildId`: the bot leaves a guild. */
export const leaveGuild: RestRoute = guildRoute((ctx, req) => {
  const guildId = req.params['guildId'] ?? '';
  if (!ctx.state.guild(guildId) || !ctx.state.member(guildId, ctx.state.application().id)) {
    throw Errors.unknownGuild();
  }
  removeMember(ctx, guildId, ctx.state.application().id);
  return noContent();
});

/** `POST /users/@me/channels` `{ recipient_id }`: the bot's DM channel with a user (created once). */
export const createDm: RestRoute = {
  auth: 'bot',
  handler: (ctx, req) => {
    const { value } = validateBody(req, dmSchema);
    return json(200, apiDmChannel(ctx.state, openDm(ctx, value.recipient_id)));
  },
};
