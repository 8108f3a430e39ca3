import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import type { GatewaySession } from '../gateway/session.js';
import type { JsonValue } from '../json.js';
import { isTextBased } from '../shapes/channel_shapes.js';
import { apiMessage } from '../shapes/message_shapes.js';
import type { AttachmentRecord, MessageRecord } from '../state/records.js';
import { requireChannel } from './channels.js';
import type { EmulatorContext } from './context.js';

/** Message flag: only the invoking user sees it (interaction responses). */
export const EPHEMERAL = 1 << 6;
/** Message flag: a deferred interaction response still "thinking". */
export const LOADING = 1 << 7;

/** A message to store. */
export interface NewMessage {
  channelId: string;
  authorId: string;
  content: string;
  type?: number;
  tts?: boolean;
  embeds?: JsonValue[];
  components?: JsonValue[];
  flags?: number;
  nonce?: string | number | null;
  attachments?: AttachmentRecord[];
  webhookId?: string | null;
  applicationId?: string | null;
  interactionId?: string | null;
  /** Id of the replied-to message (same channel). */
  replyTo?: string | null;
}

/** Changes to a stored message; `null` content clears it. */
export interface MessageEdit {
  content?: string | null | undefined;
  embeds?: JsonValue[] | null | undefined;
  components?: JsonValue[] | null | undefined;
  flags?: number | null | undefined;
  attachments?: AttachmentRecord[] | undefined;
}

/** A message of a channel that must exist. */
export function requireMessage(ctx: EmulatorContext, channelId: string, messageId: string): MessageRecord {
  const message = ctx.state.message(messageId);
  if (!message || message.channel_id !== channelId) throw Errors.unknownMessage();
  return message;
}

function parseMentions(ctx: EmulatorContext, guildId: string | null, content: string) {
  const users = new Set<string>();
  const roles = new Set<string>();
  for (const match of content.matchAll(/<@!?(\d{1,20})>/g)) {
    const id = match[1] as string;
    if (ctx.state.user(id)) users.add(id);
  }
  for (const match of content.matchAll(/<@&(\d{1,20})>/g)) {
    const id = match[1] as string;
    const role = ctx.state.role(id);
    if (role && role.guild_id === guildId) roles.add(id);
  }
  return { users: [...users], roles: [...roles], everyone: /@(everyone|here)\b/.test(content) };
}

/**
 * The message as a given bot session sees it: without MESSAGE_CONTENT, `content`, `embeds`, `attachments` and
 * `components` are emptied, except for the bot's own messages and messages mentioning it (Discord's rule).
 */
export function messageForSession(
  ctx: EmulatorContext,
  message: MessageRecord,
  session: GatewaySession,
): object {
  const payload = apiMessage(ctx.state, message, { baseUrl: ctx.config.baseUrl, gateway: true });
  const privileged =
    (session.intents & GatewayIntents.MessageContent) !== 0 ||
    message.author_id === session.userId ||
    message.mentions.includes(session.userId);
  if (privileged) return payload;
  return { ...payload, content: '', embeds: [], attachments: [], components: [] };
}

function dispatchMessage(ctx: EmulatorContext, t: string, message: MessageRecord): void {
  if ((message.flags & EPHEMERAL) !== 0) return;
  ctx.gateway.dispatch({
    t,
    d: null,
    perSession: (session) => messageForSession(ctx, message, session),
    guildId: message.guild_id,
    intents: message.guild_id ? GatewayIntents.GuildMessages : GatewayIntents.DirectMessages,
  });
}

/** Where messages live: a guild text channel, a thread, or a DM channel (`guild_id` null). */
export interface MessageChannel {
  id: string;
  guild_id: string | null;
  type: number;
}

/** A guild channel, thread or DM channel that must exist (404 Unknown Channel). */
export function requireMessageChannel(ctx: EmulatorContext, channelId: string): MessageChannel {
  const dm = ctx.state.dmChannels.get(channelId);
  if (dm) return { id: dm.id, guild_id: null, type: 1 };
  return requireChannel(ctx, channelId);
}

function touchChannel(ctx: EmulatorContext, channelId: string, messageId: string): void {
  const dm = ctx.state.dmChannels.get(channelId);
  if (dm) {
    ctx.state.dmChannels.put({ ...dm, last_message_id: messageId });
    return;
  }
  const channel = ctx.state.channel(channelId);
  if (!channel) return;
  const thread = channel.thread
    ? { ...channel.thread, message_count: channel.thread.message_count + 1 }
    : undefined;
  ctx.state.putChannel({ ...channel, last_message_id: messageId, ...(thread ? { thread } : {}) });
}

/** Stores a message in a text channel, thread or DM and dispatches MESSAGE_CREATE (unless ephemeral). */
export function createMessage(ctx: EmulatorContext, input: NewMessage): MessageRecord {
  const channel = requireMessageChannel(ctx, input.channelId);
  if (!isTextBased(channel.type)) throw Errors.badRequest(`Channel ${channel.id} is not a text channel`);
  let reference: MessageRecord['message_reference'] = null;
  if (input.replyTo) {
    const target = requireMessage(ctx, channel.id, input.replyTo);
    reference = { message_id: target.id, channel_id: channel.id, guild_id: channel.guild_id };
  }
  const mentions = parseMentions(ctx, channel.guild_id, input.content);
  if (reference) {
    const target = ctx.state.message(reference.message_id);
    if (target && !mentions.users.includes(target.author_id)) mentions.users.push(target.author_id);
  }
  const message: MessageRecord = {
    id: ctx.ids.next(),
    channel_id: channel.id,
    guild_id: channel.guild_id,
    author_id: input.authorId,
    content: input.content,
    type: input.type ?? (reference ? 19 : 0),
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: input.tts ?? false,
    mention_everyone: mentions.everyone,
    mentions: mentions.users,
    mention_roles: mentions.roles,
    attachments: input.attachments ?? [],
    embeds: input.embeds ?? [],
    components: input.components ?? [],
    flags: input.flags ?? 0,
    nonce: input.nonce ?? null,
    pinned: false,
    webhook_id: input.webhookId ?? null,
    application_id: input.applicationId ?? null,
    message_reference: reference,
    interaction_id: input.interactionId ?? null,
  };
  ctx.state.putMessage(message);
  if ((message.flags & EPHEMERAL) === 0) touchChannel(ctx, channel.id, message.id);
  dispatchMessage(ctx, 'MESSAGE_CREATE', message);
  return message;
}

/** Edits a stored message and dispatches MESSAGE_UPDATE. `markEdited` false keeps `edited_timestamp`. */
export function editMessage(
  ctx: EmulatorContext,
  message: MessageRecord,
  edit: MessageEdit,
  markEdited = true,
): MessageRecord {
  const next: MessageRecord = { ...message };
  if (edit.content !== undefined) {
    next.content = edit.content ?? '';
    const mentions = parseMentions(ctx, message.guild_id, next.content);
    next.mentions = mentions.users;
    next.mention_roles = mentions.roles;
    next.mention_everyone = mentions.everyone;
  }
  if (edit.embeds !== undefined) next.embeds = edit.embeds ?? [];
  if (edit.components !== undefined) next.components = edit.components ?? [];
  if (edit.attachments !== undefined) next.attachments = edit.attachments;
  if (edit.flags !== undefined && edit.flags !== null) next.flags = (message.flags & EPHEMERAL) | edit.flags;
  if (markEdited) next.edited_timestamp = new Date().toISOString();
  ctx.state.putMessage(next);
  dispatchMessage(ctx, 'MESSAGE_UPDATE', next);
  return next;
}

/** Deletes a stored message and dispatches MESSAGE_DELETE. */
export function deleteMessage(ctx: EmulatorContext, message: MessageRecord): void {
  ctx.state.deleteMessage(message.id);
  if ((message.flags & EPHEMERAL) !== 0) return;
  const d: Record<string, string> = { id: message.id, channel_id: message.channel_id };
  if (message.guild_id) d['guild_id'] = message.guild_id;
  ctx.gateway.dispatch({
    t: 'MESSAGE_DELETE',
    d,
    guildId: message.guild_id,
    intents: message.guild_id ? GatewayIntents.GuildMessages : GatewayIntents.DirectMessages,
  });
}

/** Deletes several messages of one channel and dispatches one MESSAGE_DELETE_BULK. */
export function bulkDeleteMessages(ctx: EmulatorContext, channelId: string, ids: readonly string[]): void {
  const channel = requireMessageChannel(ctx, channelId);
  const deleted = ids.filter(
    (id) => ctx.state.message(id)?.channel_id === channelId && ctx.state.deleteMessage(id),
  );
  if (deleted.length === 0) return;
  const d: Record<string, unknown> = { ids: deleted, channel_id: channelId };
  if (channel.guild_id) d['guild_id'] = channel.guild_id;
  ctx.gateway.dispatch({
    t: 'MESSAGE_DELETE_BULK',
    d,
    guildId: channel.guild_id,
    intents: channel.guild_id ? GatewayIntents.GuildMessages : GatewayIntents.DirectMessages,
  });
}
