import { z } from 'zod';
import { AuditLogAction, audit } from '../../domain/audit_log.js';
import { createEmoji, deleteEmoji, requireEmoji, updateEmoji } from '../../domain/emojis.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiEmoji } from '../../shapes/expression_shapes.js';
import { guildRoute } from '../bot_routes.js';
import { actor, botGuild, requireGuildPermission } from '../guard.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const emojiName = z.string().regex(/^[\w]{2,32}$/, 'Invalid emoji name');
const emojiSchema = z.looseObject({
  name: emojiName,
  image: z.string().regex(/^data:image\/(png|jpeg|gif|webp);base64,/, 'Invalid image data'),
  roles: z.array(z.string().regex(/^\d{1,20}$/)).nullish(),
});
const emojiPatchSchema = z.looseObject({ name: emojiName.nullish(), roles: z.array(z.string()).nullish() });

/** `GET /guilds/:guildId/emojis`. */
export const listEmojis = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  return json(
    200,
    ctx.state.emojis.where((e) => e.guild_id === guild.id).map((e) => apiEmoji(ctx.state, e)),
  );
});

/** `GET /guilds/:guildId/emojis/:emojiId`; 404 Unknown Emoji. */
export const getEmoji = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  return json(200, apiEmoji(ctx.state, requireEmoji(ctx, guild.id, p(req, 'emojiId'))));
});

/** `POST /guilds/:guildId/emojis` (CREATE_GUILD_EXPRESSIONS or MANAGE_GUILD_EXPRESSIONS); GUILD_EMOJIS_UPDATE, 201. */
export const createGuildEmoji = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  try {
    requireGuildPermission(ctx, guild.id, PermissionFlags.CreateGuildExpressions);
  } catch {
    requireGuildPermission(ctx, guild.id, PermissionFlags.ManageGuildExpressions);
  }
  const { value } = validateBody(req, emojiSchema);
  if (ctx.state.emojis.where((e) => e.guild_id === guild.id).length >= 50) {
    throw Errors.invalidField(['image'], 'MAX_EMOJIS', 'Maximum number of emojis reached (50)');
  }
  const { actorId, reason } = actor(ctx, req);
  const emoji = createEmoji(ctx, guild.id, {
    name: value.name,
    image: value.image,
    roles: value.roles ?? [],
    creatorId: actorId,
    reason,
  });
  return json(201, apiEmoji(ctx.state, emoji));
});

/** `PATCH /guilds/:guildId/emojis/:emojiId` (MANAGE_GUILD_EXPRESSIONS); GUILD_EMOJIS_UPDATE. */
export const editGuildEmoji = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  requireGuildPermission(ctx, guild.id, PermissionFlags.ManageGuildExpressions);
  const emoji = requireEmoji(ctx, guild.id, p(req, 'emojiId'));
  const { value } = validateBody(req, emojiPatchSchema);
  const next = updateEmoji(ctx, emoji, { name: value.name ?? undefined, roles: value.roles });
  const { actorId, reason } = actor(ctx, req);
  audit(ctx, {
    guildId: guild.id,
    userId: actorId,
    targetId: emoji.id,
    action: AuditLogAction.EmojiUpdate,
    reason,
    changes: [{ key: 'name', old_value: emoji.name, new_value: next.name }],
  });
  return json(200, apiEmoji(ctx.state, next));
});

/** `DELETE /guilds/:guildId/emojis/:emojiId` (MANAGE_GUILD_EXPRESSIONS); GUILD_EMOJIS_UPDATE, 204. */
export const deleteGuildEmoji = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  requireGuildPermission(ctx, guild.id, PermissionFlags.ManageGuildExpressions);
  const emoji = requireEmoji(ctx, guild.id, p(req, 'emojiId'));
  deleteEmoji(ctx, emoji);
  const { actorId, reason } = actor(ctx, req);
  audit(ctx, {
    guildId: guild.id,
    userId: actorId,
    targetId: emoji.id,
    action: AuditLogAction.EmojiDelete,
    reason,
  });
  return noContent();
});

const REGIONS = [
  { id: 'rotterdam', name: 'Rotterdam', custom: false, deprecated: false, optimal: true },
  { id: 'us-east', name: 'US East', custom: false, deprecated: false, optimal: false },
  { id: 'us-west', name: 'US West', custom: false, deprecated: false, optimal: false },
];

/** `GET /voice/regions`: a fixed list (voice is not emulated). */
export const listVoiceRegions: RestRoute = { auth: 'any', handler: () => json(200, REGIONS) };
