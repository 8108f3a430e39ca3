import type { EmulatorContext } from '../../domain/context.js';
import { createMessage, deleteMessage, editMessage, requireMessage } from '../../domain/messages.js';
import { EmulatorError, Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { type JsonValue, toJson } from '../../json.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiChannel, apiDmChannel, isTextBased } from '../../shapes/channel_shapes.js';
import { apiMessage } from '../../shapes/message_shapes.js';
import { compareSnowflakes } from '../../snowflake.js';
import type { MessageRecord } from '../../state/records.js';
import { storeAttachments } from '../attachments.js';
import { channelRoute } from '../bot_routes.js';
import { botChannel, botMessageChannel, requireChannelPermission } from '../guard.js';
import { messageCreateSchema, messageEditSchema } from '../rest_schemas.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const channelId = (req: RestRequest): string => req.params['channelId'] ?? '';
const restMessage = (ctx: EmulatorContext, message: MessageRecord) =>
  apiMessage(ctx.state, message, { baseUrl: ctx.config.baseUrl });

/** The channel and message of a `…/messages/:messageId` route, and whether the bot wrote the message. */
function botMessageTarget(ctx: EmulatorContext, req: RestRequest) {
  const channel = botMessageChannel(ctx, channelId(req));
  const message = requireMessage(ctx, channel.id, req.params['messageId'] ?? '');
  return { channel, message, own: message.author_id === ctx.state.application().id };
}

/** `GET /channels/:channelId`. */
export const getChannel: RestRoute = channelRoute((ctx, req) => {
  const dm = ctx.state.dmChannels.get(channelId(req));
  if (dm) return json(200, apiDmChannel(ctx.state, dm));
  return json(200, apiChannel(botChannel(ctx, channelId(req))));
});

/** `GET /channels/:channelId/messages` (`limit` 1-100, `before`, `after`, `around`), newest first. */
export const getChannelMessages: RestRoute = channelRoute((ctx, req) => {
  const channel = botMessageChannel(ctx, channelId(req));
  requireChannelPermission(ctx, channel.id, PermissionFlags.ReadMessageHistory);
  const rawLimit = Number(req.query.get('limit') ?? 50);
  if (!Number.isInteger(rawLimit) || rawLimit < 1 || rawLimit > 100) {
    throw Errors.invalidField(['limit'], 'NUMBER_TYPE_MAX', 'int value should be between 1 and 100.');
  }
  const all = ctx.state.messages(channel.id); // oldest first
  const before = req.query.get('before');
  const after = req.query.get('after');
  const around = req.query.get('around');
  let page: MessageRecord[];
  if (around) {
    const older = all.filter((m) => compareSnowflakes(m.id, around) <= 0).slice(-Math.ceil(rawLimit / 2));
    const newer = all.filter((m) => compareSnowflakes(m.id, around) > 0).slice(0, rawLimit - older.length);
    page = [...older, ...newer];
  } else if (after) {
    page = all.filter((m) => compareSnowflakes(m.id, after) > 0).slice(0, rawLimit);
  } else {
    const pool = before ? all.filter((m) => compareSnowflakes(m.id, before) < 0) : all;
    page = pool.slice(-rawLimit);
  }
  return json(
    200,
    page.reverse().map((m) => restMessage(ctx, m)),
  );
});

/** `GET /channels/:channelId/messages/:messageId`. */
export const getChannelMessage: RestRoute = channelRoute((ctx, req) => {
  const channel = botMessageChannel(ctx, channelId(req));
  requireChannelPermission(ctx, channel.id, PermissionFlags.ReadMessageHistory);
  const message = requireMessage(ctx, channel.id, req.params['messageId'] ?? '');
  if ((message.flags & 64) !== 0) throw Errors.unknownMessage();
  return json(200, restMessage(ctx, message));
});

/** `POST /channels/:channelId/messages` (JSON or multipart with files); dispatches MESSAGE_CREATE. */
export const createChannelMessage: RestRoute = channelRoute((ctx, req) => {
  const channel = botMessageChannel(ctx, channelId(req));
  if (!isTextBased(channel.type)) {
    throw new EmulatorError(400, 50008, 'Cannot send messages in a non-text channel');
  }
  const thread = ctx.state.channel(channel.id)?.thread;
  if (thread?.archived) throw Errors.threadArchived();
  const sendBit = thread ? PermissionFlags.SendMessagesInThreads : PermissionFlags.SendMessages;
  requireChannelPermission(ctx, channel.id, sendBit);
  const { value, files } = validateBody(req, messageCreateSchema);
  if (files.length > 0) requireChannelPermission(ctx, channel.id, PermissionFlags.AttachFiles);
  const hasBody =
    Boolean(value.content) ||
    Boolean(value.embeds?.length) ||
    Boolean(value.components?.length) ||
    Boolean(value.sticker_ids?.length) ||
    Boolean(value.poll) ||
    files.length > 0;
  if (!hasBody) throw Errors.emptyMessage();
  const botId = ctx.state.application().id;
  if (value.enforce_nonce && value.nonce != null) {
    const duplicate = ctx.state
      .messages(channel.id)
      .find((m) => m.author_id === botId && m.nonce === value.nonce);
    if (duplicate) return json(200, restMessage(ctx, duplicate));
  }
  let replyTo: string | null = null;
  const reference = value.message_reference;
  if (reference && (reference.type ?? 0) === 0) {
    const target = ctx.state.message(reference.message_id);
    if (target && target.channel_id === channel.id) replyTo = target.id;
    else if (reference.fail_if_not_exists ?? true) {
      throw Errors.invalidField(['message_reference'], 'REPLIES_UNKNOWN_MESSAGE', 'Unknown message');
    }
  }
  const message = createMessage(ctx, {
    channelId: channel.id,
    authorId: botId,
    content: value.content ?? '',
    tts: value.tts ?? false,
    embeds: toJson<JsonValue[]>(value.embeds ?? []),
    components: toJson<JsonValue[]>(value.components ?? []),
    flags: (value.flags ?? 0) & ~64,
    nonce: value.nonce ?? null,
    attachments: storeAttachments(ctx, channel.id, value.attachments, files),
    replyTo,
  });
  return json(200, restMessage(ctx, message));
});

/** `PATCH /channels/:channelId/messages/:messageId` (the bot's own messages); dispatches MESSAGE_UPDATE. */
export const editChannelMessage: RestRoute = channelRoute((ctx, req) => {
  const { channel, message, own } = botMessageTarget(ctx, req);
  if (!own) {
    throw new EmulatorError(403, 50005, 'Cannot edit a message authored by another user');
  }
  const { value, files } = validateBody(req, messageEditSchema);
  const edited = editMessage(ctx, message, {
    content: value.content,
    embeds: value.embeds === undefined ? undefined : toJson<JsonValue[]>(value.embeds),
    components: value.components === undefined ? undefined : toJson<JsonValue[]>(value.components),
    flags: value.flags,
    ...(value.attachments !== undefined || files.length > 0
      ? { attachments: storeAttachments(ctx, channel.id, value.attachments, files, message.attachments) }
      : {}),
  });
  return json(200, restMessage(ctx, edited));
});

/** `DELETE /channels/:channelId/messages/:messageId` (own messages, or any with MANAGE_MESSAGES). */
export const deleteChannelMessage: RestRoute = channelRoute((ctx, req) => {
  const { channel, message, own } = botMessageTarget(ctx, req);
  if (!own) {
    requireChannelPermission(ctx, channel.id, PermissionFlags.ManageMessages);
  }
  deleteMessage(ctx, message);
  return noContent();
});

/** `POST /channels/:channelId/typing`. */
export const triggerTyping: RestRoute = channelRoute((ctx, req) => {
  const channel = botMessageChannel(ctx, channelId(req));
  requireChannelPermission(ctx, channel.id, PermissionFlags.SendMessages);
  return noContent();
});
