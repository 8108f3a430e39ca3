import { z } from 'zod';
import { AuditLogAction, audit, diff } from '../../domain/audit_log.js';
import { banUser, unbanUser } from '../../domain/bans.js';
import type { EmulatorContext } from '../../domain/context.js';
import { updateGuild } from '../../domain/guilds.js';
import { highestRolePosition } from '../../domain/member_permissions.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiWebhook } from '../../shapes/expression_shapes.js';
import { apiGuild } from '../../shapes/guild_shapes.js';
import { apiAuditLogEntry, apiBan } from '../../shapes/moderation_shapes.js';
import { apiUser, unknownUser } from '../../shapes/user_shapes.js';
import { compareSnowflakes } from '../../snowflake.js';
import { guildPermissionRoute, guildRoute } from '../bot_routes.js';
import { actor, botGuild, requireAbove, requireGuildPermission } from '../guard.js';
import type { RestRequest } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const snowflake = z.string().regex(/^\d{1,20}$/);

function intQuery(req: RestRequest, name: string, fallback: number, max: number): number {
  const value = Number(req.query.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw Errors.invalidField([name], 'NUMBER_TYPE_MAX', `int value should be between 1 and ${max}.`);
  }
  return value;
}

/** The bot may ban `userId`: BAN_MEMBERS, not the owner, and above the member's highest role. */
function checkBannable(ctx: EmulatorContext, guildId: string, userId: string): void {
  requireGuildPermission(ctx, guildId, PermissionFlags.BanMembers);
  if (!ctx.state.user(userId)) throw Errors.unknownUser();
  if (ctx.state.guild(guildId)?.owner_id === userId) throw Errors.missingPermissions();
  if (ctx.state.member(guildId, userId))
    requireAbove(ctx, guildId, highestRolePosition(ctx.state, guildId, userId));
}

/** `GET /guilds/:guildId/bans` (BAN_MEMBERS; `limit` 1-1000, `before`, `after`). */
export const listBans = guildPermissionRoute(PermissionFlags.BanMembers, (ctx, req, guild) => {
  const limit = intQuery(req, 'limit', 1000, 1000);
  const after = req.query.get('after');
  const before = req.query.get('before');
  const bans = ctx.state.bans
    .where((b) => b.guild_id === guild.id)
    .sort((a, b) => compareSnowflakes(a.user_id, b.user_id))
    .filter(
      (b) =>
        (after === null || compareSnowflakes(b.user_id, after) > 0) &&
        (before === null || compareSnowflakes(b.user_id, before) < 0),
    );
  return json(
    200,
    (before !== null && after === null ? bans.slice(-limit) : bans.slice(0, limit)).map((b) =>
      apiBan(ctx.state, b),
    ),
  );
});

/** `GET /guilds/:guildId/bans/:userId` (BAN_MEMBERS); 404 Unknown Ban. */
export const getBan = guildPermissionRoute(PermissionFlags.BanMembers, (ctx, req, guild) => {
  const ban = ctx.state.bans.get(`${guild.id}:${p(req, 'userId')}`);
  if (!ban) throw Errors.unknownBan();
  return json(200, apiBan(ctx.state, ban));
});

const banSchema = z.looseObject({
  delete_message_seconds: z.int().min(0).max(604800).nullish(),
  delete_message_days: z.int().min(0).max(7).nullish(),
});

/** `PUT /guilds/:guildId/bans/:userId` (BAN_MEMBERS, role hierarchy); GUILD_MEMBER_REMOVE + GUILD_BAN_ADD, 204. */
export const createBan = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  const userId = p(req, 'userId');
  checkBannable(ctx, guild.id, userId);
  const { value } = validateBody(req, banSchema);
  const seconds = value.delete_message_seconds ?? (value.delete_message_days ?? 0) * 86400;
  banUser(ctx, guild.id, userId, { ...actor(ctx, req), deleteMessageSeconds: seconds });
  return noContent();
});

/** `DELETE /guilds/:guildId/bans/:userId` (BAN_MEMBERS); GUILD_BAN_REMOVE, 204. */
export const removeBan = guildPermissionRoute(PermissionFlags.BanMembers, (ctx, req, guild) => {
  unbanUser(ctx, guild.id, p(req, 'userId'), actor(ctx, req));
  return noContent();
});

const bulkBanSchema = z.looseObject({
  user_ids: z.array(snowflake).min(1).max(200),
  delete_message_seconds: z.int().min(0).max(604800).nullish(),
});

/** `POST /guilds/:guildId/bulk-ban` (BAN_MEMBERS and MANAGE_GUILD): `{ banned_users, failed_users }`. */
export const bulkBan = guildPermissionRoute(
  PermissionFlags.BanMembers | PermissionFlags.ManageGuild,
  (ctx, req, guild) => {
    const { value } = validateBody(req, bulkBanSchema);
    const banned: string[] = [];
    const failed: string[] = [];
    for (const userId of new Set(value.user_ids)) {
      try {
        checkBannable(ctx, guild.id, userId);
        if (ctx.state.bans.get(`${guild.id}:${userId}`)) throw Errors.missingPermissions();
        banUser(ctx, guild.id, userId, {
          ...actor(ctx, req),
          deleteMessageSeconds: value.delete_message_seconds ?? 0,
        });
        banned.push(userId);
      } catch {
        failed.push(userId);
      }
    }
    if (banned.length === 0)
      throw Errors.invalidField(['user_ids'], 'BULK_BAN_FAILED', 'Failed to ban users');
    return json(200, { banned_users: banned, failed_users: failed });
  },
);

/** `GET /guilds/:guildId/audit-logs` (VIEW_AUDIT_LOG; `user_id`, `action_type`, `before`, `after`, `limit`). */
export const listAuditLog = guildPermissionRoute(PermissionFlags.ViewAuditLog, (ctx, req, guild) => {
  const limit = intQuery(req, 'limit', 50, 100);
  const userId = req.query.get('user_id');
  const type = req.query.get('action_type');
  const before = req.query.get('before');
  const after = req.query.get('after');
  const entries = ctx.state.auditLog
    .where(
      (e) =>
        e.guild_id === guild.id &&
        (userId === null || e.user_id === userId) &&
        (type === null || e.action_type === Number(type)) &&
        (before === null || compareSnowflakes(e.id, before) < 0) &&
        (after === null || compareSnowflakes(e.id, after) > 0),
    )
    .sort((a, b) => compareSnowflakes(b.id, a.id))
    .slice(0, limit);
  const userIds = [
    ...new Set(
      entries
        .flatMap((e) => [e.user_id, e.target_id])
        .filter((id): id is string => id !== null && ctx.state.user(id) !== undefined),
    ),
  ];
  return json(200, {
    audit_log_entries: entries.map(apiAuditLogEntry),
    users: userIds.map((id) => apiUser(ctx.state.user(id) ?? unknownUser(id))),
    integrations: [],
    webhooks: ctx.state.webhooks
      .where((w) => w.guild_id === guild.id)
      .map((w) => apiWebhook(ctx.state, w, ctx.config.baseUrl, false)),
    guild_scheduled_events: [],
    threads: [],
    application_commands: [],
    auto_moderation_rules: [],
  });
});

const guildPatchSchema = z.looseObject({
  name: z.string().min(2).max(100).nullish(),
  description: z.string().max(120).nullish(),
  icon: z.string().nullish(),
  owner_id: snowflake.nullish(),
  system_channel_id: snowflake.nullish(),
  preferred_locale: z.string().nullish(),
  verification_level: z.int().min(0).max(4).nullish(),
});

/** `PATCH /guilds/:guildId` (MANAGE_GUILD; `owner_id` only by the owner); GUILD_UPDATE. */
export const editGuild = guildPermissionRoute(PermissionFlags.ManageGuild, (ctx, req, guild) => {
  const { value } = validateBody(req, guildPatchSchema);
  if (value.owner_id != null && guild.owner_id !== ctx.state.application().id)
    throw Errors.missingPermissions();
  const next = updateGuild(ctx, guild.id, {
    ...(value.name != null ? { name: value.name } : {}),
    ...(value.description !== undefined ? { description: value.description } : {}),
    ...(value.icon !== undefined ? { icon: value.icon } : {}),
    ...(value.owner_id != null ? { ownerId: value.owner_id } : {}),
    ...(value.system_channel_id !== undefined ? { systemChannelId: value.system_channel_id } : {}),
    ...(value.preferred_locale != null ? { preferredLocale: value.preferred_locale } : {}),
    ...(value.verification_level != null ? { verificationLevel: value.verification_level } : {}),
  });
  const { actorId, reason } = actor(ctx, req);
  audit(ctx, {
    guildId: guild.id,
    userId: actorId,
    targetId: guild.id,
    action: AuditLogAction.GuildUpdate,
    reason,
    changes: diff(guild, next),
  });
  return json(200, apiGuild(ctx.state, next));
});
