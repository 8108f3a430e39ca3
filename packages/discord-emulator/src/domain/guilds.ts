import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import type { PermissionOverwrite } from '../permission_flags.js';
import { DEFAULT_EVERYONE_PERMISSIONS, PermissionFlags, parsePermissions } from '../permission_flags.js';
import { apiGuild, apiGuildCreate } from '../shapes/guild_shapes.js';
import type { ChannelRecord, GuildRecord, MemberRecord, RoleRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';
import type { ChannelInput, ChannelTypeInput, GuildInput, OverwriteInput, RoleInput } from './inputs.js';
import { ensureUser } from './users.js';

/** Permissions of the bot's managed role when a guild doesn't say otherwise. */
export const DEFAULT_BOT_PERMISSIONS: bigint =
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.AddReactions |
  PermissionFlags.UseExternalEmojis |
  PermissionFlags.ManageMessages |
  PermissionFlags.ManageRoles |
  PermissionFlags.ManageNicknames |
  PermissionFlags.KickMembers |
  PermissionFlags.BanMembers |
  PermissionFlags.ModerateMembers |
  PermissionFlags.ViewAuditLog |
  PermissionFlags.UseApplicationCommands |
  PermissionFlags.CreateInstantInvite |
  PermissionFlags.ManageChannels |
  PermissionFlags.ManageGuild |
  PermissionFlags.ManageWebhooks |
  PermissionFlags.ManageGuildExpressions |
  PermissionFlags.CreateGuildExpressions |
  PermissionFlags.ManageThreads |
  PermissionFlags.CreatePublicThreads |
  PermissionFlags.CreatePrivateThreads |
  PermissionFlags.SendMessagesInThreads |
  PermissionFlags.PinMessages;

const CHANNEL_TYPES: Readonly<Record<string, number>> = {
  text: 0,
  voice: 2,
  category: 4,
  announcement: 5,
  stage: 13,
  forum: 15,
};

/** Discord's channel type number for a channel type input. */
export function channelTypeOf(type: ChannelTypeInput | undefined): number {
  if (type === undefined) return 0;
  if (typeof type === 'number') return type;
  return CHANNEL_TYPES[type] ?? 0;
}

/** A guild that must exist. */
export function requireGuild(ctx: EmulatorContext, id: string): GuildRecord {
  const guild = ctx.state.guild(id);
  if (!guild) throw Errors.unknownGuild();
  return guild;
}

/** Resolves a role id or name within a guild (`@everyone` → the guild id). */
export function resolveRoleRef(ctx: EmulatorContext, guildId: string, ref: string): string {
  if (ref === '@everyone') return guildId;
  const roles = ctx.state.roles(guildId);
  const role = roles.find((r) => r.id === ref) ?? roles.find((r) => r.name === ref);
  if (!role) throw Errors.badRequest(`Unknown role "${ref}" in guild ${guildId}`);
  return role.id;
}

/** Resolves a channel id or name within a guild. */
export function resolveChannelRef(ctx: EmulatorContext, guildId: string, ref: string): string {
  const channels = ctx.state.channels(guildId);
  const channel = channels.find((c) => c.id === ref) ?? channels.find((c) => c.name === ref);
  if (!channel) throw Errors.badRequest(`Unknown channel "${ref}" in guild ${guildId}`);
  return channel.id;
}

/** Converts overwrite inputs, resolving role names. */
export function buildOverwrites(
  ctx: EmulatorContext,
  guildId: string,
  inputs: readonly OverwriteInput[],
): PermissionOverwrite[] {
  return inputs.map((o) => {
    const type = o.type === 'member' || o.type === 1 ? 1 : 0;
    return {
      id: type === 0 ? resolveRoleRef(ctx, guildId, o.id) : o.id,
      type,
      allow: parsePermissions(o.allow ?? 0).toString(),
      deny: parsePermissions(o.deny ?? 0).toString(),
    };
  });
}

/** Builds a role record (not stored). */
export function buildRole(
  ctx: EmulatorContext,
  guildId: string,
  input: RoleInput,
  position: number,
): RoleRecord {
  return {
    id: input.id ?? ctx.ids.next(),
    guild_id: guildId,
    name: input.name,
    color: input.color ?? 0,
    hoist: input.hoist ?? false,
    icon: null,
    unicode_emoji: null,
    position: input.position ?? position,
    permissions: parsePermissions(input.permissions ?? 0).toString(),
    managed: false,
    mentionable: input.mentionable ?? false,
    flags: 0,
    bot_id: null,
  };
}

/** Builds a channel record (not stored); `parent` must already be stored. */
export function buildChannel(
  ctx: EmulatorContext,
  guildId: string,
  input: ChannelInput,
  position: number,
): ChannelRecord {
  const type = channelTypeOf(input.type);
  return {
    id: input.id ?? ctx.ids.next(),
    guild_id: guildId,
    type,
    name:
      type === 4 || type === 2 || type === 13 ? input.name : input.name.toLowerCase().replace(/\s+/g, '-'),
    position: input.position ?? position,
    parent_id: input.parent ? resolveChannelRef(ctx, guildId, input.parent) : null,
    topic: input.topic ?? null,
    nsfw: input.nsfw ?? false,
    rate_limit_per_user: input.rateLimitPerUser ?? 0,
    permission_overwrites: buildOverwrites(ctx, guildId, input.permissionOverwrites ?? []),
    last_message_id: null,
    bitrate: 64_000,
    user_limit: 0,
  };
}

/** Stores the `@everyone` role, the input roles and (with `includeBot`) the bot's managed role; returns the latter's id. */
function putGuildRoles(
  ctx: EmulatorContext,
  id: string,
  input: GuildInput,
  includeBot: boolean,
): string | null {
  const { state } = ctx;
  state.putRole({
    ...buildRole(ctx, id, { id, name: '@everyone' }, 0),
    permissions: parsePermissions(input.everyonePermissions ?? DEFAULT_EVERYONE_PERMISSIONS).toString(),
  });
  const roleInputs = input.roles ?? [];
  for (const [index, role] of roleInputs.entries()) state.putRole(buildRole(ctx, id, role, index + 1));
  if (!includeBot) return null;
  const app = state.application();
  const bot = state.user(app.id);
  const botRole: RoleRecord = {
    ...buildRole(
      ctx,
      id,
      {
        id: input.botRoleId,
        name: bot?.username ?? app.name,
        permissions: input.botPermissions ?? DEFAULT_BOT_PERMISSIONS,
      },
      roleInputs.length + 1,
    ),
    managed: true,
    bot_id: app.id,
  };
  state.putRole(botRole);
  return botRole.id;
}

/** Stores the input channels, categories first so channels can name their parent. */
function putGuildChannels(ctx: EmulatorContext, id: string, input: GuildInput): void {
  const channelInputs = input.channels ?? [];
  const ordered = [
    ...channelInputs.filter((c) => channelTypeOf(c.type) === 4),
    ...channelInputs.filter((c) => channelTypeOf(c.type) !== 4),
  ];
  for (const channel of ordered)
    ctx.state.putChannel(buildChannel(ctx, id, channel, channelInputs.indexOf(channel)));
}

/** A new member record (not stored). */
export function newMember(
  guildId: string,
  userId: string,
  roles: string[],
  nick: string | null,
  joinedAt: string,
): MemberRecord {
  return {
    guild_id: guildId,
    user_id: userId,
    nick,
    avatar: null,
    roles,
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    pending: false,
    flags: 0,
    communication_disabled_until: null,
  };
}

/** Role ids of role refs (ids or names), without `@everyone` and duplicates. */
export function memberRoleIds(
  ctx: EmulatorContext,
  guildId: string,
  refs: readonly string[] | undefined,
): string[] {
  const roles = (refs ?? []).map((ref) => resolveRoleRef(ctx, guildId, ref)).filter((r) => r !== guildId);
  return [...new Set(roles)];
}

/** Stores the owner, the input members and (when it has a role) the bot as members. */
function putGuildMembers(
  ctx: EmulatorContext,
  id: string,
  input: GuildInput,
  botRoleId: string | null,
): void {
  const now = new Date().toISOString();
  const { state } = ctx;
  state.putMember(newMember(id, input.ownerId, [], null, now));
  for (const member of input.members ?? []) {
    const roles = memberRoleIds(ctx, id, member.roles);
    state.putMember(newMember(id, member.userId, roles, member.nick ?? null, member.joinedAt ?? now));
  }
  if (botRoleId) state.putMember(newMember(id, state.application().id, [botRoleId], null, now));
}

/** The system channel: none (`null`), the named one, or the first text channel. */
function systemChannelOf(
  ctx: EmulatorContext,
  id: string,
  systemRef: string | null | undefined,
): string | null {
  if (systemRef === null) return null;
  if (systemRef !== undefined) return resolveChannelRef(ctx, id, systemRef);
  return ctx.state.channels(id).find((c) => c.type === 0)?.id ?? null;
}

/**
 * Creates a guild with its roles, channels and members, then dispatches GUILD_CREATE to connected bots that are
 * members (discord.js emits `guildCreate`).
 */
export function createGuild(ctx: EmulatorContext, input: GuildInput): GuildRecord {
  const { state } = ctx;
  const id = input.id ?? ctx.ids.next();
  if (state.guild(id)) throw Errors.badRequest(`Guild ${id} already exists`);
  ensureUser(ctx, input.ownerId);
  for (const member of input.members ?? []) ensureUser(ctx, member.userId, member.user);
  const includeBot = input.includeBot ?? true;
  if (includeBot) ensureUser(ctx, state.application().id);

  const guild: GuildRecord = {
    id,
    name: input.name,
    icon: input.icon ?? null,
    description: input.description ?? null,
    owner_id: input.ownerId,
    system_channel_id: null,
    preferred_locale: input.preferredLocale ?? 'en-US',
    features: input.features ?? [],
    verification_level: 0,
  };
  state.putGuild(guild);
  try {
    const botRoleId = putGuildRoles(ctx, id, input, includeBot);
    putGuildChannels(ctx, id, input);
    putGuildMembers(ctx, id, input, botRoleId);
    const stored = { ...guild, system_channel_id: systemChannelOf(ctx, id, input.systemChannel) };
    state.putGuild(stored);
    ctx.gateway.dispatch({
      t: 'GUILD_CREATE',
      d: null,
      perSession: (session) => apiGuildCreate(state, stored, session.userId),
      guildId: id,
      intents: GatewayIntents.Guilds,
    });
    return stored;
  } catch (error) {
    state.deleteGuild(id);
    throw error;
  }
}

/** Deletes a guild; connected bots get GUILD_DELETE (discord.js emits `guildDelete`). */
export function deleteGuild(ctx: EmulatorContext, id: string): void {
  requireGuild(ctx, id);
  ctx.gateway.dispatch({ t: 'GUILD_DELETE', d: { id }, guildId: id, intents: GatewayIntents.Guilds });
  ctx.state.deleteGuild(id);
}

/** Changes to a guild (REST `PATCH /guilds/:id` and `control.updateGuild`). */
export interface GuildPatch {
  name?: string | undefined;
  ownerId?: string | undefined;
  description?: string | null | undefined;
  icon?: string | null | undefined;
  systemChannelId?: string | null | undefined;
  preferredLocale?: string | undefined;
  verificationLevel?: number | undefined;
}

/** Updates a guild and dispatches GUILD_UPDATE (discord.js emits `guildUpdate`). The new owner must be a member. */
export function updateGuild(ctx: EmulatorContext, guildId: string, patch: GuildPatch): GuildRecord {
  const guild = requireGuild(ctx, guildId);
  if (patch.ownerId !== undefined && !ctx.state.member(guildId, patch.ownerId)) {
    throw Errors.invalidField(
      ['owner_id'],
      'GUILD_OWNER_NOT_MEMBER',
      'The new owner must be a member of the guild',
    );
  }
  if (patch.systemChannelId != null && ctx.state.channel(patch.systemChannelId)?.guild_id !== guildId) {
    throw Errors.unknownChannel();
  }
  const next: GuildRecord = {
    ...guild,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.ownerId !== undefined ? { owner_id: patch.ownerId } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.icon !== undefined ? { icon: patch.icon } : {}),
    ...(patch.systemChannelId !== undefined ? { system_channel_id: patch.systemChannelId } : {}),
    ...(patch.preferredLocale !== undefined ? { preferred_locale: patch.preferredLocale } : {}),
    ...(patch.verificationLevel !== undefined ? { verification_level: patch.verificationLevel } : {}),
  };
  ctx.state.putGuild(next);
  ctx.gateway.dispatch({
    t: 'GUILD_UPDATE',
    d: apiGuild(ctx.state, next),
    guildId,
    intents: GatewayIntents.Guilds,
  });
  return next;
}
