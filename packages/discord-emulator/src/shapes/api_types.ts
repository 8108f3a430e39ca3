import type { JsonObject, JsonValue } from '../json.js';
import type { PermissionOverwrite } from '../permission_flags.js';
import type { RoleRecord } from '../state/records.js';

/**
 * A user object as Discord's API returns it (`email`/`verified` only on `/users/@me` with the `email` scope).
 *
 * @example
 * ```ts
 * const me = (await (await fetch(`${emulator.apiUrl}/v10/users/@me`, { headers })).json()) as ApiUser;
 * ```
 */
export interface ApiUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  system?: boolean;
  public_flags: number;
  flags: number;
  banner: string | null;
  accent_color: number | null;
  avatar_decoration_data: null;
  collectibles: null;
  primary_guild: null;
  mfa_enabled?: boolean;
  locale?: string;
  premium_type?: number;
  email?: string | null;
  verified?: boolean;
  /** Set on mentioned users in gateway messages. */
  member?: Omit<ApiMember, 'user'>;
}

/**
 * A role object: the stored role's fields (without `guild_id` and `bot_id`), plus `colors` and, for
 * a bot's managed role, `tags`.
 *
 * @example
 * ```ts
 * const roles = (await res.json()) as ApiRole[];
 * ```
 */
export interface ApiRole extends Omit<RoleRecord, 'guild_id' | 'bot_id'> {
  colors: { primary_color: number; secondary_color: number | null; tertiary_color: number | null };
  tags?: { bot_id: string };
}

/**
 * A guild member object (with `user`, as REST and GUILD_CREATE send it).
 *
 * @example
 * ```ts
 * const member = (await res.json()) as ApiMember;
 * member.roles.includes(DEMO.roles.admin);
 * ```
 */
export interface ApiMember {
  user: ApiUser;
  nick: string | null;
  avatar: string | null;
  banner: null;
  roles: string[];
  joined_at: string;
  premium_since: string | null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
  communication_disabled_until: string | null;
  avatar_decoration_data: null;
}

/**
 * A guild channel object.
 *
 * @example
 * ```ts
 * const channel = (await res.json()) as ApiChannel;
 * ```
 */
export interface ApiChannel {
  id: string;
  type: number;
  guild_id: string;
  name: string;
  /** Absent on threads. */
  position?: number;
  parent_id: string | null;
  /** Absent on threads. */
  permission_overwrites?: PermissionOverwrite[];
  nsfw?: boolean;
  flags: number;
  topic?: string | null;
  last_message_id?: string | null;
  rate_limit_per_user?: number;
  bitrate?: number;
  user_limit?: number;
  rtc_region?: string | null;
  /** Threads: creator, metadata and counts. */
  owner_id?: string;
  thread_metadata?: {
    archived: boolean;
    archive_timestamp: string;
    auto_archive_duration: number;
    locked: boolean;
    create_timestamp: string;
    invitable?: boolean;
  };
  message_count?: number;
  member_count?: number;
  total_message_sent?: number;
}

/**
 * A guild object (REST `GET /guilds/:id`; GUILD_CREATE adds channels, members, etc.).
 *
 * @example
 * ```ts
 * const guild = (await res.json()) as ApiGuild;
 * ```
 */
export interface ApiGuild {
  id: string;
  name: string;
  icon: string | null;
  icon_hash: string | null;
  splash: null;
  discovery_splash: null;
  banner: null;
  description: string | null;
  home_header: string | null;
  owner_id: string;
  region: string;
  afk_channel_id: null;
  afk_timeout: number;
  widget_enabled: boolean;
  widget_channel_id: null;
  verification_level: number;
  default_message_notifications: number;
  explicit_content_filter: number;
  roles: ApiRole[];
  emojis: JsonObject[];
  stickers: JsonValue[];
  features: string[];
  mfa_level: number;
  application_id: null;
  system_channel_id: string | null;
  system_channel_flags: number;
  rules_channel_id: null;
  safety_alerts_channel_id: null;
  max_presences: null;
  max_members: number;
  max_video_channel_users: number;
  max_stage_video_channel_users: number;
  vanity_url_code: null;
  premium_tier: number;
  premium_subscription_count: number;
  preferred_locale: string;
  public_updates_channel_id: null;
  nsfw_level: number;
  nsfw: boolean;
  premium_progress_bar_enabled: boolean;
  incidents_data: null;
  approximate_member_count?: number;
  approximate_presence_count?: number;
}

/**
 * A partial guild from `GET /users/@me/guilds`.
 *
 * @example
 * ```ts
 * const guilds = (await res.json()) as ApiPartialGuild[];
 * const manageable = guilds.filter((g) => g.owner || (BigInt(g.permissions) & 0x20n) !== 0n);
 * ```
 */
export interface ApiPartialGuild {
  id: string;
  name: string;
  icon: string | null;
  banner: null;
  owner: boolean;
  permissions: string;
  features: string[];
  approximate_member_count?: number;
  approximate_presence_count?: number;
}

/**
 * A message object.
 *
 * @example
 * ```ts
 * const messages = (await res.json()) as ApiMessage[];
 * messages.at(-1)?.content;
 * ```
 */
export interface ApiMessage {
  id: string;
  type: number;
  channel_id: string;
  guild_id?: string;
  author: ApiUser;
  member?: Omit<ApiMember, 'user'>;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: ApiUser[];
  mention_roles: string[];
  attachments: JsonObject[];
  embeds: JsonValue[];
  components: JsonValue[];
  pinned: boolean;
  flags: number;
  reactions?: JsonObject[];
  nonce?: string | number;
  webhook_id?: string;
  application_id?: string;
  message_reference?: { type: number; message_id: string; channel_id: string; guild_id?: string };
  referenced_message?: ApiMessage | null;
  interaction_metadata?: JsonObject;
  interaction?: JsonObject;
}

/**
 * An application command object.
 *
 * @example
 * ```ts
 * const commands = (await res.json()) as ApiCommand[];
 * ```
 */
export interface ApiCommand {
  id: string;
  application_id: string;
  guild_id?: string;
  type: number;
  name: string;
  name_localizations: Record<string, string> | null;
  description: string;
  description_localizations: Record<string, string> | null;
  options?: JsonObject[];
  default_member_permissions: string | null;
  dm_permission?: boolean;
  nsfw: boolean;
  contexts: number[] | null;
  integration_types: number[];
  version: string;
}
