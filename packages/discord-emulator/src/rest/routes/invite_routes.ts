import { z } from 'zod';
import { createInvite, deleteInvite, requireInvite } from '../../domain/invites.js';
import { Errors } from '../../errors.js';
import { json } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiInvite } from '../../shapes/expression_shapes.js';
import type { InviteRecord } from '../../state/records.js';
import { channelAndGuildLists, channelRoute } from '../bot_routes.js';
import { actor, botChannel, botGuild, requireChannelPermission } from '../guard.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';

const inviteSchema = z.looseObject({
  max_age: z.int().min(0).max(604800).nullish(),
  max_uses: z.int().min(0).max(100).nullish(),
  temporary: z.boolean().nullish(),
  unique: z.boolean().nullish(),
});

/** `POST /channels/:channelId/invites` (CREATE_INSTANT_INVITE); INVITE_CREATE. */
export const createChannelInvite: RestRoute = channelRoute((ctx, req) => {
  const channel = botChannel(ctx, p(req, 'channelId'));
  if (channel.thread || channel.type === 4) throw Errors.unknownChannel();
  requireChannelPermission(ctx, channel.id, PermissionFlags.CreateInstantInvite);
  const { value } = validateBody(req, inviteSchema);
  const { actorId, reason } = actor(ctx, req);
  const invite = createInvite(ctx, channel.id, {
    inviterId: actorId,
    maxAge: value.max_age ?? undefined,
    maxUses: value.max_uses ?? undefined,
    temporary: value.temporary ?? undefined,
    unique: value.unique ?? undefined,
    reason,
  });
  return json(200, apiInvite(ctx.state, invite));
});

const inviteLists = channelAndGuildLists<InviteRecord>(
  PermissionFlags.ManageChannels,
  PermissionFlags.ManageGuild,
  (ctx, which) =>
    json(
      200,
      ctx.state.invites.where(which).map((i) => apiInvite(ctx.state, i)),
    ),
);

/** `GET /channels/:channelId/invites` (MANAGE_CHANNELS). */
export const listChannelInvites: RestRoute = inviteLists.channel;

/** `GET /guilds/:guildId/invites` (MANAGE_GUILD). */
export const listGuildInvites: RestRoute = inviteLists.guild;

/** `GET /invites/:code` (`with_counts`). */
export const getInvite: RestRoute = {
  auth: 'any',
  handler: (ctx, req) => {
    const invite = requireInvite(ctx, p(req, 'code'));
    const body = apiInvite(ctx.state, invite, false);
    if (req.query.get('with_counts') === 'true') {
      body['approximate_member_count'] = ctx.state.members(invite.guild_id).length;
      body['approximate_presence_count'] = 0;
    }
    return json(200, body);
  },
};

/** `DELETE /invites/:code` (MANAGE_CHANNELS on the channel, or MANAGE_GUILD); INVITE_DELETE, answers the invite. */
export const revokeInvite: RestRoute = {
  auth: 'bot',
  handler: (ctx, req) => {
    const invite = requireInvite(ctx, p(req, 'code'));
    botGuild(ctx, invite.guild_id);
    requireChannelPermission(ctx, invite.channel_id, PermissionFlags.ManageChannels);
    const body = apiInvite(ctx.state, invite, false);
    const { actorId, reason } = actor(ctx, req);
    deleteInvite(ctx, invite, actorId, reason);
    return json(200, body);
  },
};
