import { type JsonObject, toJson } from '../json.js';
import type { GuildRecord, MemberRecord, RoleRecord } from '../state/records.js';
import type { EmulatorState } from '../state/state_store.js';
import type { ApiGuild, ApiMember, ApiPartialGuild, ApiRole } from './api_types.js';
import { apiChannel } from './channel_shapes.js';
import { apiEmoji } from './expression_shapes.js';
import { apiUser, unknownUser } from './user_shapes.js';

/** A role record as Discord's role object. */
export function apiRole(role: RoleRecord): ApiRole {
  const out: ApiRole = {
    id: role.id,
    name: role.name,
    color: role.color,
    colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
    hoist: role.hoist,
    icon: role.icon,
    unicode_emoji: role.unicode_emoji,
    position: role.position,
    permissions: role.permissions,
    managed: role.managed,
    mentionable: role.mentionable,
    flags: role.flags,
  };
  if (role.bot_id) out.tags = { bot_id: role.bot_id };
  return out;
}

/** A member record as Discord's guild member object (with its user). */
export function apiMember(state: EmulatorState, member: MemberRecord): ApiMember {
  return {
    ...apiMemberWithoutUser(member),
    user: apiUser(state.user(member.user_id) ?? unknownUser(member.user_id)),
  };
}

/** The member object without `user`, as embedded in MESSAGE_CREATE. */
export function apiMemberWithoutUser(member: MemberRecord): Omit<ApiMember, 'user'> {
  return {
    nick: member.nick,
    avatar: member.avatar,
    banner: null,
    roles: [...member.roles],
    joined_at: member.joined_at,
    premium_since: member.premium_since,
    deaf: member.deaf,
    mute: member.mute,
    flags: member.flags,
    pending: member.pending,
    communication_disabled_until: member.communication_disabled_until,
    avatar_decoration_data: null,
  };
}

/** A guild record as Discord's guild object (REST shape). */
export function apiGuild(state: EmulatorState, guild: GuildRecord, withCounts = false): ApiGuild {
  const out: ApiGuild = {
    id: guild.id,
    name: guild.name,
    icon: guild.icon,
    icon_hash: guild.icon,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: guild.description,
    home_header: null,
    owner_id: guild.owner_id,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: guild.verification_level,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: state.roles(guild.id).map(apiRole),
    emojis: state.emojis.where((e) => e.guild_id === guild.id).map((e) => apiEmoji(state, e)),
    stickers: [],
    features: [...guild.features],
    mfa_level: 0,
    application_id: null,
    system_channel_id: guild.system_channel_id,
    system_channel_flags: 0,
    rules_channel_id: null,
    safety_alerts_channel_id: null,
    max_presences: null,
    max_members: 500_000,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: guild.preferred_locale,
    public_updates_channel_id: null,
    nsfw_level: 0,
    nsfw: false,
    premium_progress_bar_enabled: false,
    incidents_data: null,
  };
  if (withCounts) {
    out.approximate_member_count = state.members(guild.id).length;
    out.approximate_presence_count = 0;
  }
  return out;
}

/** The full GUILD_CREATE payload for the bot `botUserId` (channels, members, counts, joined_at...). */
export function apiGuildCreate(state: EmulatorState, guild: GuildRecord, botUserId: string): JsonObject {
  const members = state.members(guild.id);
  const joinedAt = state.member(guild.id, botUserId)?.joined_at ?? new Date().toISOString();
  const payload = {
    ...apiGuild(state, guild),
    unavailable: false,
    joined_at: joinedAt,
    large: members.length > 250,
    member_count: members.length,
    lazy: true,
    channels: state
      .channels(guild.id)
      .filter((c) => !c.thread)
      .map(apiChannel),
    members: members.map((m) => apiMember(state, m)),
    threads: state
      .channels(guild.id)
      .filter((c) => c.thread && !c.thread.archived)
      .map(apiChannel),
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    embedded_activities: [],
    activity_instances: [],
    application_command_counts: {},
    hub_type: null,
    latest_onboarding_question_id: null,
    version: Date.now(),
  };
  return toJson<JsonObject>(payload);
}

/** The partial guild of `GET /users/@me/guilds` for one user, with computed permissions. */
export function apiPartialGuild(
  state: EmulatorState,
  guild: GuildRecord,
  permissions: bigint,
  userId: string,
  withCounts = false,
): ApiPartialGuild {
  const out: ApiPartialGuild = {
    id: guild.id,
    name: guild.name,
    icon: guild.icon,
    banner: null,
    owner: guild.owner_id === userId,
    permissions: permissions.toString(),
    features: [...guild.features],
  };
  if (withCounts) {
    out.approximate_member_count = state.members(guild.id).length;
    out.approximate_presence_count = 0;
  }
  return out;
}
