import { randomBytes } from 'node:crypto';
import { EmulatorError, Errors } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import { toJson } from '../json.js';
import type { ApiMessage } from '../shapes/api_types.js';
import { apiChannel, isTextBased } from '../shapes/channel_shapes.js';
import { apiMember } from '../shapes/guild_shapes.js';
import { apiMessage } from '../shapes/message_shapes.js';
import type { AttachmentRecord, InteractionRecord, MessageRecord } from '../state/records.js';
import { requireChannel } from './channels.js';
import { buildInteractionOptions, splitCommand } from './command_options.js';
import { findCommandByName } from './commands.js';
import type { EmulatorContext } from './context.js';
import { requireGuild } from './guilds.js';
import type { InteractionInput } from './inputs.js';
import { channelPermissionsOf } from './member_permissions.js';
import { requireMember } from './members.js';
import { createMessage, EPHEMERAL, editMessage, LOADING, requireMessage } from './messages.js';

/** Interaction callback types accepted for application command interactions. */
export const CallbackType = {
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  Modal: 9,
} as const;

/** A message body from an interaction callback or webhook call. */
export interface InteractionMessageBody {
  content?: string | null | undefined;
  embeds?: JsonValue[] | null | undefined;
  components?: JsonValue[] | null | undefined;
  flags?: number | null | undefined;
  tts?: boolean | null | undefined;
  attachments?: AttachmentRecord[] | undefined;
}

/**
 * What the bot did with an interaction, as `GET /_emulator/interactions/:id` returns it.
 *
 * @example
 * ```ts
 * const view: InteractionView = emulator.control.interaction(id);
 * expect(view.response?.type).toBe(4);
 * expect(view.original?.content).toBe('Pong!');
 * ```
 */
export interface InteractionView {
  id: string;
  token: string;
  commandName: string;
  guildId: string;
  channelId: string;
  userId: string;
  createdAt: string;
  /** The callback (`type` 4 reply, 5 deferred, 9 modal) with its `data`, or null until the bot answers. */
  response: { type: number; data: JsonObject | null; respondedAt: string } | null;
  /** The original response message as it is now (after `editReply`), or null. */
  original: ApiMessage | null;
  /** Follow-up messages, oldest first. */
  followUps: ApiMessage[];
}

/** Creates an application command interaction and dispatches INTERACTION_CREATE. */
export function createInteraction(ctx: EmulatorContext, input: InteractionInput): InteractionRecord {
  const { state } = ctx;
  const guild = requireGuild(ctx, input.guildId);
  const channel = requireChannel(ctx, input.channelId);
  if (channel.guild_id !== guild.id)
    throw Errors.badRequest(`Channel ${channel.id} is not in guild ${guild.id}`);
  if (!isTextBased(channel.type)) throw Errors.badRequest(`Channel ${channel.id} is not a text channel`);
  const member = requireMember(ctx, guild.id, input.userId);
  const user = state.user(input.userId);
  const { name, path } = splitCommand(input.command);
  if (!name) throw Errors.badRequest('command must not be empty');
  const command = findCommandByName(ctx, guild.id, name);
  const { options, resolved } = buildInteractionOptions(
    ctx,
    guild.id,
    channel.id,
    command,
    path,
    input.options,
  );
  const app = state.application();
  const id = ctx.ids.next();
  const token = `aW50ZXJhY3Rpb246${id}:${randomBytes(36).toString('base64url')}`;
  const data: JsonObject = { id: command?.id ?? ctx.ids.next(), name, type: 1 };
  if (options.length) data['options'] = options;
  if (resolved) data['resolved'] = resolved;
  if (command?.guild_id) data['guild_id'] = command.guild_id;
  const locale = input.locale ?? user?.locale ?? 'en-US';
  const payload = toJson<JsonObject>({
    id,
    application_id: app.id,
    type: 2,
    data,
    guild: { id: guild.id, locale: guild.preferred_locale, features: guild.features },
    guild_id: guild.id,
    guild_locale: guild.preferred_locale,
    channel: {
      ...apiChannel(channel),
      permissions: channelPermissionsOf(state, channel.id, app.id).toString(),
    },
    channel_id: channel.id,
    member: {
      ...apiMember(state, member),
      permissions: channelPermissionsOf(state, channel.id, member.user_id).toString(),
    },
    token,
    version: 1,
    app_permissions: channelPermissionsOf(state, channel.id, app.id).toString(),
    locale,
    entitlements: [],
    entitlement_sku_ids: [],
    authorizing_integration_owners: { '0': guild.id },
    context: 0,
    attachment_size_limit: 10_485_760,
  });
  const record: InteractionRecord = {
    id,
    token,
    application_id: app.id,
    type: 2,
    guild_id: guild.id,
    channel_id: channel.id,
    user_id: member.user_id,
    command_id: String(data['id']),
    command_name: input.command.trim(),
    payload,
    created_at: Date.now(),
    response: null,
    original_message_id: null,
    follow_up_message_ids: [],
  };
  state.putInteraction(record);
  ctx.gateway.dispatch({ t: 'INTERACTION_CREATE', d: payload, guildId: guild.id, intents: 0 });
  return record;
}

function responseMessage(
  ctx: EmulatorContext,
  record: InteractionRecord,
  body: InteractionMessageBody,
  flags: number,
) {
  return createMessage(ctx, {
    channelId: record.channel_id,
    authorId: record.application_id,
    content: body.content ?? '',
    type: 20,
    tts: body.tts ?? false,
    embeds: body.embeds ?? [],
    components: body.components ?? [],
    flags,
    attachments: body.attachments ?? [],
    webhookId: record.application_id,
    applicationId: record.application_id,
    interactionId: record.id,
  });
}

/** Handles `POST /interactions/:id/:token/callback`; returns the response message, if one was created. */
export function respondToInteraction(
  ctx: EmulatorContext,
  id: string,
  token: string,
  type: number,
  body: InteractionMessageBody | null,
  rawData: JsonObject | null,
): MessageRecord | null {
  const record = ctx.state.interaction(id);
  if (!record || record.token !== token) throw Errors.unknownInteraction();
  if (record.response) throw Errors.alreadyAcknowledged();
  if (Date.now() - record.created_at > ctx.config.interactionResponseTimeoutMs)
    throw Errors.unknownInteraction();
  if (
    type !== CallbackType.ChannelMessageWithSource &&
    type !== CallbackType.DeferredChannelMessageWithSource
  ) {
    if (type !== CallbackType.Modal) {
      throw Errors.invalidField(
        ['type'],
        'INTERACTION_RESPONSE_TYPE_INVALID',
        'Invalid interaction response type',
      );
    }
  }
  let message: MessageRecord | null = null;
  if (type === CallbackType.ChannelMessageWithSource) {
    const content = body?.content ?? '';
    if (!content && !body?.embeds?.length && !body?.components?.length && !body?.attachments?.length) {
      throw Errors.emptyMessage();
    }
    message = responseMessage(ctx, record, body ?? {}, (body?.flags ?? 0) & ~LOADING);
  } else if (type === CallbackType.DeferredChannelMessageWithSource) {
    message = responseMessage(ctx, record, {}, ((body?.flags ?? 0) & EPHEMERAL) | LOADING);
  }
  ctx.state.putInteraction({
    ...record,
    response: { type, data: rawData, responded_at: new Date().toISOString() },
    original_message_id: message?.id ?? null,
  });
  return message;
}

/** The interaction owning a webhook token (`/webhooks/:appId/:token`). */
export function requireInteractionByToken(
  ctx: EmulatorContext,
  appId: string,
  token: string,
): InteractionRecord {
  const record = ctx.state.interactionByToken(token);
  if (!record || record.application_id !== appId) throw Errors.unknownWebhook();
  if (Date.now() - record.created_at > ctx.config.interactionTokenTtlMs) throw Errors.invalidWebhookToken();
  return record;
}

/** Posts a follow-up message; the interaction must have been acknowledged. */
export function createFollowUp(
  ctx: EmulatorContext,
  record: InteractionRecord,
  body: InteractionMessageBody,
): MessageRecord {
  if (!record.response) throw Errors.unknownWebhook();
  if (!body.content && !body.embeds?.length && !body.components?.length && !body.attachments?.length) {
    throw Errors.emptyMessage();
  }
  const message = responseMessage(ctx, record, body, (body.flags ?? 0) & ~LOADING);
  const latest = ctx.state.interaction(record.id) ?? record;
  ctx.state.putInteraction({
    ...latest,
    follow_up_message_ids: [...latest.follow_up_message_ids, message.id],
  });
  return message;
}

/** A webhook message of an interaction: `@original` or a follow-up id. */
export function requireInteractionMessage(
  ctx: EmulatorContext,
  record: InteractionRecord,
  messageId: string,
): MessageRecord {
  const id = messageId === '@original' ? record.original_message_id : messageId;
  if (!id || (messageId !== '@original' && !record.follow_up_message_ids.includes(id)))
    throw Errors.unknownMessage();
  return requireMessage(ctx, record.channel_id, id);
}

/** Edits `@original` or a follow-up; editing a deferred reply clears its loading state. */
export function editInteractionMessage(
  ctx: EmulatorContext,
  record: InteractionRecord,
  messageId: string,
  body: InteractionMessageBody,
): MessageRecord {
  const message = requireInteractionMessage(ctx, record, messageId);
  const wasLoading = (message.flags & LOADING) !== 0;
  const flags = wasLoading ? message.flags & ~LOADING : undefined;
  const edit = { ...body, flags: body.flags ?? flags };
  if (wasLoading && edit.flags !== undefined && edit.flags !== null) edit.flags &= ~LOADING;
  return editMessage(ctx, message, edit, !wasLoading);
}

/** The control API's view of an interaction. */
export function interactionView(ctx: EmulatorContext, record: InteractionRecord): InteractionView {
  const options = { baseUrl: ctx.config.baseUrl };
  const original = record.original_message_id ? ctx.state.message(record.original_message_id) : undefined;
  return {
    id: record.id,
    token: record.token,
    commandName: record.command_name,
    guildId: record.guild_id,
    channelId: record.channel_id,
    userId: record.user_id,
    createdAt: new Date(record.created_at).toISOString(),
    response: record.response
      ? { type: record.response.type, data: record.response.data, respondedAt: record.response.responded_at }
      : null,
    original: original ? apiMessage(ctx.state, original, options) : null,
    followUps: record.follow_up_message_ids.flatMap((id) => {
      const message = ctx.state.message(id);
      return message ? [apiMessage(ctx.state, message, options)] : [];
    }),
  };
}

/** An interaction that must exist (control API). */
export function requireInteraction(ctx: EmulatorContext, id: string): InteractionRecord {
  const record = ctx.state.interaction(id);
  if (!record) throw new EmulatorError(404, 10062, `Unknown interaction ${id}`);
  return record;
}
