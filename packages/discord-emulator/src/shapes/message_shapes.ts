import { type JsonObject, type JsonValue, toJson } from '../json.js';
import type { MessageRecord, ReactionRecord } from '../state/records.js';
import type { EmulatorState } from '../state/state_store.js';
import type { ApiMessage, ApiUser } from './api_types.js';
import { apiMemberWithoutUser } from './guild_shapes.js';
import { apiUser, unknownUser } from './user_shapes.js';

/** Options of {@link apiMessage}. */
export interface ApiMessageOptions {
  /** Base URL attachment URLs are built on (the emulator's `url`). */
  baseUrl: string;
  /** Gateway shape: add `member` for the author and for mentioned users. */
  gateway?: boolean;
  /** Include `referenced_message` (one level). Defaults to true. */
  withReference?: boolean;
}

function mentionedUser(
  state: EmulatorState,
  message: MessageRecord,
  userId: string,
  gateway: boolean,
): ApiUser {
  const user = apiUser(state.user(userId) ?? unknownUser(userId));
  if (!gateway || !message.guild_id) return user;
  const member = state.member(message.guild_id, userId);
  return member ? { ...user, member: apiMemberWithoutUser(member) } : user;
}

function authorOf(state: EmulatorState, message: MessageRecord): ApiUser {
  const webhook = message.webhook_id ? state.webhooks.get(message.webhook_id) : undefined;
  if (webhook && message.author_id === webhook.id) {
    return {
      ...apiUser(unknownUser(webhook.id)),
      username: webhook.name,
      global_name: null,
      avatar: webhook.avatar,
      bot: true,
    };
  }
  return apiUser(state.user(message.author_id) ?? unknownUser(message.author_id));
}

function apiReaction(reaction: ReactionRecord, botId: string): JsonObject {
  const emoji: JsonObject = { id: reaction.emoji_id, name: reaction.emoji_name };
  if (reaction.emoji_id && reaction.animated) emoji['animated'] = true;
  return {
    emoji,
    count: reaction.user_ids.length,
    count_details: { burst: 0, normal: reaction.user_ids.length },
    burst_colors: [],
    me_burst: false,
    me: reaction.user_ids.includes(botId),
  };
}

/** Bot embeds are `rich` embeds: Discord always sends their `type`. */
function richEmbed(embed: JsonValue): JsonValue {
  const copy = structuredClone(embed);
  if (copy && typeof copy === 'object' && !Array.isArray(copy) && copy['type'] === undefined)
    copy['type'] = 'rich';
  return copy;
}

/** Discord gives every component of a message an integer `id` (1, 2, 3… depth first) when none was sent. */
export function numberComponents(components: readonly JsonValue[]): JsonValue[] {
  let next = 1;
  const used = new Set<number>();
  const collect = (value: JsonValue): void => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    if (typeof value['id'] === 'number') used.add(value['id']);
    for (const child of [value['components'], value['accessory']].flat()) if (child) collect(child);
  };
  const assign = (value: JsonValue): void => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    if (typeof value['id'] !== 'number') {
      while (used.has(next)) next += 1;
      value['id'] = next;
      used.add(next);
    }
    for (const child of [value['components'], value['accessory']].flat()) if (child) assign(child);
  };
  const copy = structuredClone(components) as JsonValue[];
  copy.forEach(collect);
  copy.forEach(assign);
  return copy;
}

/** A message record as Discord's message object. */
export function apiMessage(
  state: EmulatorState,
  message: MessageRecord,
  options: ApiMessageOptions,
): ApiMessage {
  const gateway = options.gateway ?? false;
  const out: ApiMessage = {
    id: message.id,
    type: message.type,
    channel_id: message.channel_id,
    author: authorOf(state, message),
    content: message.content,
    timestamp: message.timestamp,
    edited_timestamp: message.edited_timestamp,
    tts: message.tts,
    mention_everyone: message.mention_everyone,
    mentions: message.mentions.map((id) => mentionedUser(state, message, id, gateway)),
    mention_roles: [...message.mention_roles],
    attachments: message.attachments.map((a): JsonObject => {
      const url = `${options.baseUrl}/attachments/${message.channel_id}/${a.id}/${encodeURIComponent(a.filename)}`;
      return {
        id: a.id,
        filename: a.filename,
        description: a.description,
        content_type: a.content_type,
        size: a.size,
        url,
        proxy_url: url,
      };
    }),
    embeds: message.embeds.map(richEmbed),
    components: numberComponents(message.components),
    pinned: message.pinned,
    flags: message.flags,
  };
  if (message.guild_id) {
    out.guild_id = message.guild_id;
    const member =
      gateway && !message.webhook_id ? state.member(message.guild_id, message.author_id) : undefined;
    if (member) out.member = apiMemberWithoutUser(member);
  }
  const reactions = state.reactions.where((r) => r.message_id === message.id);
  if (reactions.length > 0) out.reactions = reactions.map((r) => apiReaction(r, state.application().id));
  if (message.nonce !== null) out.nonce = message.nonce;
  if (message.webhook_id) out.webhook_id = message.webhook_id;
  if (message.application_id) out.application_id = message.application_id;
  if (message.message_reference) {
    const ref = message.message_reference;
    out.message_reference = { type: 0, message_id: ref.message_id, channel_id: ref.channel_id };
    if (ref.guild_id) out.message_reference.guild_id = ref.guild_id;
    if (options.withReference ?? true) {
      const referenced = state.message(ref.message_id);
      out.referenced_message = referenced
        ? apiMessage(state, referenced, { ...options, gateway: false, withReference: false })
        : null;
    }
  }
  if (message.interaction_id) {
    const interaction = state.interaction(message.interaction_id);
    if (interaction) {
      const user = apiUser(state.user(interaction.user_id) ?? unknownUser(interaction.user_id));
      out.interaction_metadata = toJson<JsonObject>({
        id: interaction.id,
        type: interaction.type,
        name: interaction.command_name,
        command_type: 1,
        user,
        authorizing_integration_owners: { '0': interaction.guild_id },
      });
      out.interaction = toJson<JsonObject>({
        id: interaction.id,
        type: interaction.type,
        name: interaction.command_name,
        user,
      });
    }
  }
  return out;
}
