import { z } from 'zod';
import type { EmulatorContext } from '../../domain/context.js';
import { bulkDeleteMessages, editMessage } from '../../domain/messages.js';
import { pinMessage, unpinMessage } from '../../domain/pins.js';
import {
  addReaction,
  clearReactions,
  messageIn,
  parseEmoji,
  reactionOf,
  removeReaction,
} from '../../domain/reactions.js';
import { EmulatorError, Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiMessage } from '../../shapes/message_shapes.js';
import { apiUser, unknownUser } from '../../shapes/user_shapes.js';
import { compareSnowflakes, snowflakeTimestamp } from '../../snowflake.js';
import { actor, botMessageChannel, requireChannelPermission } from '../guard.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';

/** The channel (visible to the bot, with READ_MESSAGE_HISTORY) and message of a reaction or pin route. */
function target(ctx: EmulatorContext, req: RestRequest) {
  const channel = botMessageChannel(ctx, p(req, 'channelId'));
  requireChannelPermission(ctx, channel.id, PermissionFlags.ReadMessageHistory);
  return { channel, message: messageIn(ctx, channel.id, p(req, 'messageId')) };
}

const route = (handler: RestRoute['handler']): RestRoute => ({ auth: 'bot', major: 'channelId', handler });

/** `PUT …/reactions/:emoji/@me` (ADD_REACTIONS); MESSAGE_REACTION_ADD. */
export const addMyReaction = route((ctx, req) => {
  const { channel, message } = target(ctx, req);
  const emoji = parseEmoji(ctx, p(req, 'emoji'));
  if (!reactionOf(ctx, message, emoji))
    requireChannelPermission(ctx, channel.id, PermissionFlags.AddReactions);
  addReaction(ctx, message, emoji, ctx.state.application().id);
  return noContent();
});

/** `DELETE …/reactions/:emoji/@me`; MESSAGE_REACTION_REMOVE. */
export const deleteMyReaction = route((ctx, req) => {
  const { message } = target(ctx, req);
  removeReaction(ctx, message, parseEmoji(ctx, p(req, 'emoji')), ctx.state.application().id);
  return noContent();
});

/** `DELETE …/reactions/:emoji/:userId` (MANAGE_MESSAGES). */
export const deleteUserReaction = route((ctx, req) => {
  const { channel, message } = target(ctx, req);
  const userId = p(req, 'userId') === '@me' ? ctx.state.application().id : p(req, 'userId');
  if (userId !== ctx.state.application().id)
    requireChannelPermission(ctx, channel.id, PermissionFlags.ManageMessages);
  removeReaction(ctx, message, parseEmoji(ctx, p(req, 'emoji')), userId);
  return noContent();
});

/** `GET …/reactions/:emoji` (`after`, `limit` 1-100): the users who reacted, by id. */
export const listReactions = route((ctx, req) => {
  const { message } = target(ctx, req);
  const limit = Number(req.query.get('limit') ?? 25);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw Errors.invalidField(['limit'], 'NUMBER_TYPE_MAX', 'int value should be between 1 and 100.');
  }
  const after = req.query.get('after') ?? '0';
  const users = [...(reactionOf(ctx, message, parseEmoji(ctx, p(req, 'emoji')))?.user_ids ?? [])]
    .sort(compareSnowflakes)
    .filter((id) => compareSnowflakes(id, after) > 0)
    .slice(0, limit);
  return json(
    200,
    users.map((id) => apiUser(ctx.state.user(id) ?? unknownUser(id))),
  );
});

/** `DELETE …/reactions` and `DELETE …/reactions/:emoji` (MANAGE_MESSAGES). */
export const deleteAllReactions = route((ctx, req) => {
  const { channel, message } = target(ctx, req);
  requireChannelPermission(ctx, channel.id, PermissionFlags.ManageMessages);
  const raw = req.params['emoji'];
  clearReactions(ctx, message, raw === undefined ? undefined : parseEmoji(ctx, raw));
  return noContent();
});

const bulkDeleteSchema = z.looseObject({
  messages: z
    .array(z.string().regex(/^\d{1,20}$/))
    .min(2)
    .max(100),
});

/** `POST /channels/:id/messages/bulk-delete` (2-100 ids, under 14 days, MANAGE_MESSAGES); MESSAGE_DELETE_BULK. */
export const bulkDelete = route((ctx, req) => {
  const channel = botMessageChannel(ctx, p(req, 'channelId'));
  requireChannelPermission(ctx, channel.id, PermissionFlags.ManageMessages);
  const { value } = validateBody(req, bulkDeleteSchema);
  const ids = [...new Set(value.messages)];
  const twoWeeksAgo = Date.now() - 14 * 24 * 3600 * 1000;
  if (ids.some((id) => snowflakeTimestamp(id) < twoWeeksAgo)) throw Errors.bulkDeleteTooOld();
  bulkDeleteMessages(ctx, channel.id, ids);
  return noContent();
});

/** `GET /channels/:id/messages/pins` (`before`, `limit` 1-50): `{ items: [{ pinned_at, message }], has_more }`. */
export const listPins = route((ctx, req) => {
  const channel = botMessageChannel(ctx, p(req, 'channelId'));
  requireChannelPermission(ctx, channel.id, PermissionFlags.ReadMessageHistory);
  const limit = Number(req.query.get('limit') ?? 50);
  const before = req.query.get('before');
  const pins = ctx.state.pins
    .where((pin) => pin.channel_id === channel.id && (before === null || pin.pinned_at < before))
    .sort((a, b) => b.pinned_at.localeCompare(a.pinned_at));
  const items = pins.slice(0, limit).flatMap((pin) => {
    const message = ctx.state.message(pin.message_id);
    return message
      ? [
          {
            pinned_at: pin.pinned_at,
            message: apiMessage(ctx.state, message, { baseUrl: ctx.config.baseUrl }),
          },
        ]
      : [];
  });
  return json(200, { items, has_more: pins.length > limit });
});

/** `GET /channels/:id/pins` (deprecated): the pinned messages, newest pin first. */
export const listPinsDeprecated = route((ctx, req) => {
  const channel = botMessageChannel(ctx, p(req, 'channelId'));
  requireChannelPermission(ctx, channel.id, PermissionFlags.ReadMessageHistory);
  const pins = ctx.state.pins
    .where((pin) => pin.channel_id === channel.id)
    .sort((a, b) => b.pinned_at.localeCompare(a.pinned_at));
  return json(
    200,
    pins.flatMap((pin) => {
      const message = ctx.state.message(pin.message_id);
      return message ? [apiMessage(ctx.state, message, { baseUrl: ctx.config.baseUrl })] : [];
    }),
  );
});

function makePinRoute(pin: boolean): RestRoute {
  return route((ctx, req) => {
    const { channel, message } = target(ctx, req);
    if (channel.guild_id) requireChannelPermission(ctx, channel.id, PermissionFlags.PinMessages);
    const { actorId, reason } = actor(ctx, req);
    if (pin) pinMessage(ctx, message, actorId, reason);
    else unpinMessage(ctx, message, actorId, reason);
    return noContent();
  });
}

/** `PUT /channels/:id/messages/pins/:messageId` (also the deprecated `/pins/:messageId`). */
export const addPin = makePinRoute(true);
/** `DELETE /channels/:id/messages/pins/:messageId` (also the deprecated `/pins/:messageId`). */
export const deletePin = makePinRoute(false);

/** `POST …/messages/:messageId/crosspost` (announcement channels): sets the CROSSPOSTED flag. */
export const crosspost = route((ctx, req) => {
  const { channel, message } = target(ctx, req);
  if (channel.type !== 5) throw new EmulatorError(400, 40033, 'This message has already been crossposted.');
  if (message.author_id !== ctx.state.application().id) {
    requireChannelPermission(ctx, channel.id, PermissionFlags.ManageMessages);
  }
  if ((message.flags & 1) !== 0)
    throw new EmulatorError(400, 40033, 'This message has already been crossposted.');
  const edited = editMessage(ctx, message, { flags: message.flags | 1 }, false);
  return json(200, apiMessage(ctx.state, edited, { baseUrl: ctx.config.baseUrl }));
});
