import { EmulatorError, Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiMemberWithoutUser } from '../shapes/guild_shapes.js';
import type { MessageRecord, ReactionRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';

/** An emoji as a reaction names it: Unicode (`id` null) or custom `name:id`. */
export interface EmojiRef {
  id: string | null;
  name: string;
  animated: boolean;
}

/** Parses the `{emoji}` path segment: `👍`, `name:id` or `a:name:id`; 400 Unknown Emoji when malformed. */
export function parseEmoji(ctx: EmulatorContext, raw: string): EmojiRef {
  const custom = /^(a:)?([\w~-]{1,32}):(\d{1,20})$/.exec(raw);
  if (custom) {
    if (!ctx.state.emojis.get(custom[3] as string)) throw new EmulatorError(400, 10014, 'Unknown Emoji');
    return { id: custom[3] as string, name: custom[2] as string, animated: Boolean(custom[1]) };
  }
  if (raw.length === 0 || raw.length > 32 || /[\w:]/.test(raw)) {
    throw new EmulatorError(400, 10014, 'Unknown Emoji');
  }
  return { id: null, name: raw, animated: false };
}

const keyOf = (messageId: string, emoji: EmojiRef) => `${messageId}:${emoji.id ?? emoji.name}`;
const emojiPayload = (emoji: EmojiRef) =>
  emoji.id ? { id: emoji.id, name: emoji.name, animated: emoji.animated } : { id: null, name: emoji.name };

function dispatchReaction(
  ctx: EmulatorContext,
  t: string,
  message: MessageRecord,
  extra: Record<string, unknown>,
): void {
  const d: Record<string, unknown> = { channel_id: message.channel_id, message_id: message.id, ...extra };
  if (message.guild_id) d['guild_id'] = message.guild_id;
  ctx.gateway.dispatch({
    t,
    d,
    guildId: message.guild_id,
    intents: message.guild_id ? GatewayIntents.GuildMessageReactions : GatewayIntents.DirectMessageReactions,
  });
}

/** The reactions of a message with one emoji (undefined when nobody reacted with it). */
export function reactionOf(
  ctx: EmulatorContext,
  message: MessageRecord,
  emoji: EmojiRef,
): ReactionRecord | undefined {
  return ctx.state.reactions.get(keyOf(message.id, emoji));
}

/** Adds a user's reaction (MESSAGE_REACTION_ADD); at most 20 distinct emojis per message (30010). */
export function addReaction(
  ctx: EmulatorContext,
  message: MessageRecord,
  emoji: EmojiRef,
  userId: string,
): void {
  const existing = reactionOf(ctx, message, emoji);
  if (existing?.user_ids.includes(userId)) return;
  if (!existing && ctx.state.reactions.where((r) => r.message_id === message.id).length >= 20) {
    throw new EmulatorError(400, 30010, 'Maximum number of reactions reached (20)');
  }
  ctx.state.reactions.put({
    message_id: message.id,
    channel_id: message.channel_id,
    emoji_id: emoji.id,
    emoji_name: emoji.name,
    animated: emoji.animated,
    user_ids: [...(existing?.user_ids ?? []), userId],
  });
  const member = message.guild_id ? ctx.state.member(message.guild_id, userId) : undefined;
  dispatchReaction(ctx, 'MESSAGE_REACTION_ADD', message, {
    ...reactionUser(userId, emoji),
    message_author_id: message.author_id,
    ...(member ? { member: { ...apiMemberWithoutUser(member), user: userPayload(ctx, userId) } } : {}),
  });
}

/** The fields every single-user reaction event carries (a normal reaction, not a super reaction). */
function reactionUser(userId: string, emoji: EmojiRef): Record<string, unknown> {
  return { user_id: userId, emoji: emojiPayload(emoji), burst: false, type: 0 };
}

function userPayload(ctx: EmulatorContext, userId: string): object {
  const user = ctx.state.user(userId);
  return {
    id: userId,
    username: user?.username ?? 'deleted_user',
    discriminator: '0',
    avatar: null,
    global_name: user?.global_name ?? null,
  };
}

/** Removes one user's reaction (MESSAGE_REACTION_REMOVE); nothing happens when there is none. */
export function removeReaction(
  ctx: EmulatorContext,
  message: MessageRecord,
  emoji: EmojiRef,
  userId: string,
): void {
  const existing = reactionOf(ctx, message, emoji);
  if (!existing?.user_ids.includes(userId)) return;
  const users = existing.user_ids.filter((id) => id !== userId);
  if (users.length === 0) ctx.state.reactions.delete(keyOf(message.id, emoji));
  else ctx.state.reactions.put({ ...existing, user_ids: users });
  dispatchReaction(ctx, 'MESSAGE_REACTION_REMOVE', message, reactionUser(userId, emoji));
}

/** Removes every reaction of a message (MESSAGE_REACTION_REMOVE_ALL) or of one emoji (…_REMOVE_EMOJI). */
export function clearReactions(ctx: EmulatorContext, message: MessageRecord, emoji?: EmojiRef): void {
  if (emoji) {
    if (!ctx.state.reactions.delete(keyOf(message.id, emoji))) return;
    dispatchReaction(ctx, 'MESSAGE_REACTION_REMOVE_EMOJI', message, { emoji: emojiPayload(emoji) });
    return;
  }
  if (ctx.state.reactions.deleteWhere((r) => r.message_id === message.id).length === 0) return;
  dispatchReaction(ctx, 'MESSAGE_REACTION_REMOVE_ALL', message, {});
}

/** A message that must exist in a channel, for reaction and pin routes. */
export function messageIn(ctx: EmulatorContext, channelId: string, messageId: string): MessageRecord {
  const message = ctx.state.message(messageId);
  if (!message || message.channel_id !== channelId) throw Errors.unknownMessage();
  return message;
}
