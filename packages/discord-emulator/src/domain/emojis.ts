import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiEmoji } from '../shapes/expression_shapes.js';
import type { EmojiRecord } from '../state/records.js';
import { AuditLogAction, audit } from './audit_log.js';
import type { EmulatorContext } from './context.js';

function emojisUpdate(ctx: EmulatorContext, guildId: string): void {
  ctx.gateway.dispatch({
    t: 'GUILD_EMOJIS_UPDATE',
    d: {
      guild_id: guildId,
      emojis: ctx.state.emojis.where((e) => e.guild_id === guildId).map((e) => apiEmoji(ctx.state, e)),
    },
    guildId,
    intents: GatewayIntents.GuildExpressions,
  });
}

/** A guild emoji that must exist (404 Unknown Emoji). */
export function requireEmoji(ctx: EmulatorContext, guildId: string, emojiId: string): EmojiRecord {
  const emoji = ctx.state.emojis.get(emojiId);
  if (!emoji || emoji.guild_id !== guildId) throw Errors.unknownEmoji();
  return emoji;
}

/** Creates a custom emoji (GUILD_EMOJIS_UPDATE, audit log); the image must be a data URI. */
export function createEmoji(
  ctx: EmulatorContext,
  guildId: string,
  input: {
    name: string;
    image: string;
    roles?: string[] | undefined;
    creatorId: string;
    reason?: string | null | undefined;
  },
): EmojiRecord {
  const emoji = ctx.state.emojis.put({
    id: ctx.ids.next(),
    guild_id: guildId,
    name: input.name,
    roles: input.roles ?? [],
    creator_id: input.creatorId,
    animated: input.image.startsWith('data:image/gif'),
  });
  emojisUpdate(ctx, guildId);
  audit(ctx, {
    guildId,
    userId: input.creatorId,
    targetId: emoji.id,
    action: AuditLogAction.EmojiCreate,
    reason: input.reason,
  });
  return emoji;
}

/** Renames an emoji or changes its roles (GUILD_EMOJIS_UPDATE). */
export function updateEmoji(
  ctx: EmulatorContext,
  emoji: EmojiRecord,
  patch: { name?: string | undefined; roles?: string[] | null | undefined },
): EmojiRecord {
  const next = ctx.state.emojis.put({
    ...emoji,
    name: patch.name ?? emoji.name,
    roles: patch.roles === undefined ? emoji.roles : (patch.roles ?? []),
  });
  emojisUpdate(ctx, emoji.guild_id);
  return next;
}

/** Deletes an emoji (GUILD_EMOJIS_UPDATE). */
export function deleteEmoji(ctx: EmulatorContext, emoji: EmojiRecord): void {
  ctx.state.emojis.delete(emoji.id);
  emojisUpdate(ctx, emoji.guild_id);
}
