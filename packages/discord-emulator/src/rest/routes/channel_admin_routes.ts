import { z } from 'zod';
import { AuditLogAction, audit } from '../../domain/audit_log.js';
import { createChannel, deleteChannel, updateChannel } from '../../domain/channels.js';
import type { EmulatorContext } from '../../domain/context.js';
import type { OverwriteInput } from '../../domain/inputs.js';
import { deleteThread, updateThread } from '../../domain/threads.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiChannel } from '../../shapes/channel_shapes.js';
import type { ChannelRecord } from '../../state/records.js';
import { channelPermissionRoute, channelRoute, guildPermissionRoute } from '../bot_routes.js';
import { actor, auditRecord, botChannel, requireChannelPermission } from '../guard.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const snowflake = z.string().regex(/^\d{1,20}$/);
const overwriteSchema = z.looseObject({
  id: snowflake,
  type: z.union([z.literal(0), z.literal(1)]),
  allow: z.union([z.string(), z.int()]).nullish(),
  deny: z.union([z.string(), z.int()]).nullish(),
});
const channelBodySchema = z.looseObject({
  name: z.string().min(1).max(100),
  type: z.int().nullish(),
  topic: z.string().max(1024).nullish(),
  nsfw: z.boolean().nullish(),
  position: z.int().nullish(),
  parent_id: snowflake.nullish(),
  rate_limit_per_user: z.int().min(0).max(21600).nullish(),
  permission_overwrites: z.array(overwriteSchema).nullish(),
  // thread fields (PATCH on a thread)
  archived: z.boolean().nullish(),
  locked: z.boolean().nullish(),
  auto_archive_duration: z.int().nullish(),
  invitable: z.boolean().nullish(),
});
const channelPatchSchema = channelBodySchema.partial();
const CREATABLE_TYPES = new Set([0, 2, 4, 5, 13, 15]);

const overwrites = (list: z.output<typeof overwriteSchema>[]): OverwriteInput[] =>
  list.map((o) => ({
    id: o.id,
    type: o.type,
    ...(o.allow != null ? { allow: String(o.allow) } : {}),
    ...(o.deny != null ? { deny: String(o.deny) } : {}),
  }));

/** The audited fields of a channel. */
const auditedChannel = (c: ChannelRecord) => ({
  name: c.name,
  topic: c.topic,
  nsfw: c.nsfw,
  parent_id: c.parent_id,
});

/** `POST /guilds/:guildId/channels` (MANAGE_CHANNELS); CHANNEL_CREATE, 201. */
export const createGuildChannel: RestRoute = guildPermissionRoute(
  PermissionFlags.ManageChannels,
  (ctx, req, guild) => {
    const { value } = validateBody(req, channelBodySchema);
    const type = value.type ?? 0;
    if (!CREATABLE_TYPES.has(type))
      throw Errors.invalidField(['type'], 'BASE_TYPE_CHOICES', 'Value must be one of {0, 2, 4, 5, 13, 15}.');
    if (value.parent_id != null && ctx.state.channel(value.parent_id)?.type !== 4)
      throw Errors.unknownChannel();
    const channel = createChannel(ctx, guild.id, {
      name: value.name,
      type,
      parent: value.parent_id ?? null,
      topic: value.topic ?? null,
      ...(value.nsfw != null ? { nsfw: value.nsfw } : {}),
      ...(value.position != null ? { position: value.position } : {}),
      ...(value.rate_limit_per_user != null ? { rateLimitPerUser: value.rate_limit_per_user } : {}),
      permissionOverwrites: overwrites(value.permission_overwrites ?? []),
    });
    auditRecord(ctx, req, AuditLogAction.ChannelCreate, null, channel, auditedChannel);
    return json(201, apiChannel(channel));
  },
);

/** `PATCH /channels/:channelId`: a guild channel (MANAGE_CHANNELS; CHANNEL_UPDATE) or a thread (THREAD_UPDATE). */
export const editChannel: RestRoute = channelRoute((ctx, req) => {
  const channel = botChannel(ctx, p(req, 'channelId'));
  const { value } = validateBody(req, channelPatchSchema);
  if (channel.thread) {
    if (channel.thread.owner_id !== ctx.state.application().id)
      requireChannelPermission(ctx, channel.id, PermissionFlags.ManageThreads);
    const next = updateThread(ctx, channel.id, {
      name: value.name ?? undefined,
      archived: value.archived ?? undefined,
      locked: value.locked ?? undefined,
      autoArchiveDuration: value.auto_archive_duration ?? undefined,
      invitable: value.invitable ?? undefined,
      rateLimitPerUser: value.rate_limit_per_user ?? undefined,
    });
    return json(200, apiChannel(next));
  }
  requireChannelPermission(ctx, channel.id, PermissionFlags.ManageChannels);
  if (value.permission_overwrites != null)
    requireChannelPermission(ctx, channel.id, PermissionFlags.ManageRoles);
  const next = updateChannel(ctx, channel.id, {
    ...(value.name != null ? { name: value.name } : {}),
    ...(value.topic !== undefined ? { topic: value.topic } : {}),
    ...(value.nsfw != null ? { nsfw: value.nsfw } : {}),
    ...(value.position != null ? { position: value.position } : {}),
    ...(value.parent_id !== undefined ? { parent: value.parent_id } : {}),
    ...(value.rate_limit_per_user != null ? { rateLimitPerUser: value.rate_limit_per_user } : {}),
    ...(value.permission_overwrites != null
      ? { permissionOverwrites: overwrites(value.permission_overwrites) }
      : {}),
  });
  auditRecord(ctx, req, AuditLogAction.ChannelUpdate, channel, next, auditedChannel);
  return json(200, apiChannel(next));
});

/** `DELETE /channels/:channelId` (MANAGE_CHANNELS, or MANAGE_THREADS for a thread); answers the deleted channel. */
export const removeChannel: RestRoute = channelRoute((ctx, req) => {
  const channel = botChannel(ctx, p(req, 'channelId'));
  if (channel.thread) {
    requireChannelPermission(ctx, channel.id, PermissionFlags.ManageThreads);
    return json(200, apiChannel(deleteThread(ctx, channel.id)));
  }
  requireChannelPermission(ctx, channel.id, PermissionFlags.ManageChannels);
  const body = apiChannel(channel);
  deleteChannel(ctx, channel.id);
  auditRecord(ctx, req, AuditLogAction.ChannelDelete, channel, null, auditedChannel);
  return json(200, body);
});

const overwriteBodySchema = z.looseObject({
  type: z.union([z.literal(0), z.literal(1)]),
  allow: z.union([z.string(), z.int()]).nullish(),
  deny: z.union([z.string(), z.int()]).nullish(),
});

/** The channel's overwrites other than `id`, as inputs. */
const overwritesWithout = (channel: ChannelRecord, id: string): OverwriteInput[] =>
  overwrites(
    channel.permission_overwrites.filter((o) => o.id !== id).map((o) => ({ ...o, type: o.type as 0 | 1 })),
  );

function auditOverwrite(
  ctx: EmulatorContext,
  req: RestRequest,
  channel: ChannelRecord,
  action: number,
  options: { id: string; type: string },
): void {
  const { actorId, reason } = actor(ctx, req);
  audit(ctx, { guildId: channel.guild_id, userId: actorId, targetId: channel.id, action, reason, options });
}

/** `PUT /channels/:channelId/permissions/:overwriteId` (MANAGE_ROLES); CHANNEL_UPDATE, 204. */
export const putOverwrite: RestRoute = channelRoute((ctx, req) => {
  const channel = botChannel(ctx, p(req, 'channelId'));
  if (channel.thread) throw Errors.unknownChannel();
  requireChannelPermission(ctx, channel.id, PermissionFlags.ManageRoles);
  const { value } = validateBody(req, overwriteBodySchema);
  const id = p(req, 'overwriteId');
  const existed = channel.permission_overwrites.some((o) => o.id === id);
  const next = [
    ...overwritesWithout(channel, id),
    ...overwrites([{ id, type: value.type, allow: value.allow ?? '0', deny: value.deny ?? '0' }]),
  ];
  updateChannel(ctx, channel.id, { permissionOverwrites: next });
  const action = existed ? AuditLogAction.ChannelOverwriteUpdate : AuditLogAction.ChannelOverwriteCreate;
  auditOverwrite(ctx, req, channel, action, { id, type: String(value.type) });
  return noContent();
});

/** `DELETE /channels/:channelId/permissions/:overwriteId` (MANAGE_ROLES); CHANNEL_UPDATE, 204. */
export const deleteOverwrite: RestRoute = channelPermissionRoute(
  PermissionFlags.ManageRoles,
  (ctx, req, channel) => {
    const id = p(req, 'overwriteId');
    const removed = channel.permission_overwrites.find((o) => o.id === id);
    if (removed) {
      updateChannel(ctx, channel.id, { permissionOverwrites: overwritesWithout(channel, id) });
      auditOverwrite(ctx, req, channel, AuditLogAction.ChannelOverwriteDelete, {
        id,
        type: String(removed.type),
      });
    }
    return noContent();
  },
);

const positionsSchema = z.array(
  z.looseObject({
    id: snowflake,
    position: z.int().nullish(),
    parent_id: snowflake.nullish(),
    lock_permissions: z.boolean().nullish(),
  }),
);

/** `PATCH /guilds/:guildId/channels` (positions, MANAGE_CHANNELS); one CHANNEL_UPDATE per channel, 204. */
export const moveGuildChannels: RestRoute = guildPermissionRoute(
  PermissionFlags.ManageChannels,
  (ctx, req, guild) => {
    const { value } = validateBody(req, positionsSchema);
    for (const item of value) {
      if (ctx.state.channel(item.id)?.guild_id !== guild.id) throw Errors.unknownChannel();
    }
    for (const item of value) {
      updateChannel(ctx, item.id, {
        ...(item.position != null ? { position: item.position } : {}),
        ...(item.parent_id !== undefined ? { parent: item.parent_id } : {}),
      });
    }
    return noContent();
  },
);
