import type { JsonObject, JsonValue } from '../json.js';
import type { PermissionOverwrite } from '../permission_flags.js';

/**
 * The emulated application (one per emulator; its id is also the bot user's id).
 *
 * @example
 * ```ts
 * const app: ApplicationRecord = emulator.state.application();
 * app.client_secret; // 'emulator-secret'
 * ```
 */
export interface ApplicationRecord {
  id: string;
  name: string;
  description: string;
  owner_id: string;
  bot_token: string;
  client_secret: string;
  /** Allowed OAuth2 redirect URIs; empty = any http(s) URI (development convenience). */
  redirect_uris: string[];
  flags: number;
}

/**
 * A stored user (Discord's user fields, plus the private ones `/users/@me` returns with the right scopes).
 *
 * @example
 * ```ts
 * const user: UserRecord | undefined = emulator.state.user(DEMO.users.owner);
 * ```
 */
export interface UserRecord {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot: boolean;
  system: boolean;
  email: string | null;
  verified: boolean;
  locale: string;
  mfa_enabled: boolean;
  public_flags: number;
  premium_type: number;
}

/**
 * A stored guild; Discord's constant fields are added when serializing.
 *
 * @example
 * ```ts
 * const guild: GuildRecord | undefined = emulator.state.guild(DEMO.guildId);
 * ```
 */
export interface GuildRecord {
  id: string;
  name: string;
  icon: string | null;
  description: string | null;
  owner_id: string;
  system_channel_id: string | null;
  preferred_locale: string;
  features: string[];
  verification_level: number;
}

/**
 * A stored guild channel. Types: 0 text, 2 voice, 4 category, 5 announcement, 13 stage, 15 forum.
 *
 * @example
 * ```ts
 * const channel: ChannelRecord | undefined = emulator.state.channel(DEMO.channels.general);
 * ```
 */
export interface ChannelRecord {
  id: string;
  guild_id: string;
  type: number;
  name: string;
  position: number;
  parent_id: string | null;
  topic: string | null;
  nsfw: boolean;
  rate_limit_per_user: number;
  permission_overwrites: PermissionOverwrite[];
  last_message_id: string | null;
  bitrate: number;
  user_limit: number;
  /** Set on threads (types 10, 11, 12); their `parent_id` is the channel they live in. */
  thread?: ThreadInfo;
}

/**
 * A stored role. The `@everyone` role has the guild's id.
 *
 * @example
 * ```ts
 * const role: RoleRecord | undefined = emulator.state.role(DEMO.roles.admin);
 * ```
 */
export interface RoleRecord {
  id: string;
  guild_id: string;
  name: string;
  color: number;
  hoist: boolean;
  icon: string | null;
  unicode_emoji: string | null;
  position: number;
  /** Decimal string bitfield, as Discord sends it. */
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  /** For a bot's managed role: the bot user id. */
  bot_id: string | null;
}

/**
 * A stored guild member.
 *
 * @example
 * ```ts
 * const member: MemberRecord | undefined = emulator.state.member(DEMO.guildId, DEMO.users.admin);
 * ```
 */
export interface MemberRecord {
  guild_id: string;
  user_id: string;
  nick: string | null;
  avatar: string | null;
  /** Role ids, without @everyone. */
  roles: string[];
  joined_at: string;
  premium_since: string | null;
  deaf: boolean;
  mute: boolean;
  pending: boolean;
  flags: number;
  communication_disabled_until: string | null;
}

/**
 * A stored message attachment (its bytes are kept in {@link StoredFile}).
 *
 * @example
 * ```ts
 * message.attachments[0]?.filename;
 * ```
 */
export interface AttachmentRecord {
  id: string;
  filename: string;
  description: string | null;
  content_type: string | null;
  size: number;
}

/**
 * Bytes of an uploaded attachment, base64-encoded so snapshots stay JSON.
 *
 * @example
 * ```ts
 * Buffer.from(file.data_base64, 'base64');
 * ```
 */
export interface StoredFile {
  id: string;
  channel_id: string;
  filename: string;
  content_type: string | null;
  data_base64: string;
}

/**
 * A stored message. Interaction responses and follow-ups are messages too (`interaction_id` set).
 *
 * @example
 * ```ts
 * const messages: MessageRecord[] = emulator.state.messages(DEMO.channels.general);
 * ```
 */
export interface MessageRecord {
  id: string;
  channel_id: string;
  guild_id: string | null;
  author_id: string;
  content: string;
  type: number;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: string[];
  mention_roles: string[];
  attachments: AttachmentRecord[];
  embeds: JsonValue[];
  components: JsonValue[];
  flags: number;
  nonce: string | number | null;
  pinned: boolean;
  webhook_id: string | null;
  application_id: string | null;
  message_reference: { message_id: string; channel_id: string; guild_id: string | null } | null;
  interaction_id: string | null;
}

/**
 * A registered application command (global when `guild_id` is null).
 *
 * @example
 * ```ts
 * const commands: CommandRecord[] = emulator.state.commands(DEMO.guildId);
 * ```
 */
export interface CommandRecord {
  id: string;
  application_id: string;
  guild_id: string | null;
  type: number;
  name: string;
  name_localizations: Record<string, string> | null;
  description: string;
  description_localizations: Record<string, string> | null;
  options: JsonObject[];
  default_member_permissions: string | null;
  nsfw: boolean;
  contexts: number[] | null;
  integration_types: number[];
  version: string;
}

/**
 * What the bot answered to an interaction through its callback.
 *
 * @example
 * ```ts
 * if (record.response?.type === 4) console.log(record.response.data);
 * ```
 */
export interface InteractionResponseRecord {
  /** Callback type: 4 reply, 5 deferred reply, 9 modal... */
  type: number;
  data: JsonObject | null;
  responded_at: string;
}

/**
 * A stored interaction the control API created.
 *
 * @example
 * ```ts
 * const record: InteractionRecord | undefined = emulator.state.interaction(id);
 * ```
 */
export interface InteractionRecord {
  id: string;
  token: string;
  application_id: string;
  type: number;
  guild_id: string;
  channel_id: string;
  user_id: string;
  command_id: string;
  command_name: string;
  /** The full INTERACTION_CREATE payload sent to the bot. */
  payload: JsonObject;
  created_at: number;
  response: InteractionResponseRecord | null;
  original_message_id: string | null;
  follow_up_message_ids: string[];
}

/**
 * A pending OAuth2 authorization code.
 *
 * @example
 * ```ts
 * // internal: consumed by POST /oauth2/token
 * ```
 */
export interface OAuthCodeRecord {
  code: string;
  client_id: string;
  user_id: string;
  scopes: string[];
  redirect_uri: string;
  expires_at: number;
}

/**
 * An issued OAuth2 access token.
 *
 * @example
 * ```ts
 * // internal: resolved from `Authorization: Bearer <token>`
 * ```
 */
export interface OAuthTokenRecord {
  access_token: string;
  refresh_token: string;
  client_id: string;
  user_id: string;
  scopes: string[];
  expires_at: number;
}

/**
 * Thread fields of a {@link ChannelRecord} of type 10, 11 or 12.
 *
 * @example
 * ```ts
 * emulator.state.channel(threadId)?.thread?.archived; // false
 * ```
 */
export interface ThreadInfo {
  owner_id: string;
  archived: boolean;
  locked: boolean;
  auto_archive_duration: number;
  archive_timestamp: string;
  create_timestamp: string;
  invitable: boolean;
  message_count: number;
  member_count: number;
}

/**
 * A ban.
 *
 * @example
 * ```ts
 * emulator.state.bans.where((b) => b.guild_id === DEMO.guildId).map((b) => b.user_id);
 * ```
 */
export interface BanRecord {
  guild_id: string;
  user_id: string;
  reason: string | null;
}

/**
 * The users who reacted to a message with one emoji.
 *
 * @example
 * ```ts
 * emulator.state.reactions.where((r) => r.message_id === messageId)[0]?.user_ids;
 * ```
 */
export interface ReactionRecord {
  message_id: string;
  channel_id: string;
  /** Custom emoji id, null for a Unicode emoji. */
  emoji_id: string | null;
  emoji_name: string;
  animated: boolean;
  user_ids: string[];
}

/**
 * A pin of a message (when it was pinned).
 *
 * @example
 * ```ts
 * emulator.state.pins.where((p) => p.channel_id === DEMO.channels.general);
 * ```
 */
export interface PinRecord {
  channel_id: string;
  message_id: string;
  pinned_at: string;
}

/**
 * A DM channel between the bot and one user.
 *
 * @example
 * ```ts
 * emulator.state.dmChannels.where((c) => c.recipient_id === DEMO.users.member)[0]?.id;
 * ```
 */
export interface DmChannelRecord {
  id: string;
  recipient_id: string;
  last_message_id: string | null;
}

/**
 * A member of a thread.
 *
 * @example
 * ```ts
 * emulator.state.threadMembers.where((m) => m.channel_id === threadId).map((m) => m.user_id);
 * ```
 */
export interface ThreadMemberRecord {
  channel_id: string;
  user_id: string;
  join_timestamp: string;
}

/**
 * A channel webhook (type 1, incoming).
 *
 * @example
 * ```ts
 * emulator.state.webhooks.all()[0]?.token;
 * ```
 */
export interface WebhookRecord {
  id: string;
  guild_id: string;
  channel_id: string;
  name: string;
  avatar: string | null;
  token: string;
  creator_id: string;
  application_id: string | null;
}

/**
 * A custom guild emoji.
 *
 * @example
 * ```ts
 * emulator.state.emojis.all().map((e) => e.name);
 * ```
 */
export interface EmojiRecord {
  id: string;
  guild_id: string;
  name: string;
  roles: string[];
  creator_id: string;
  animated: boolean;
}

/**
 * A guild invite.
 *
 * @example
 * ```ts
 * emulator.state.invites.get(code)?.uses;
 * ```
 */
export interface InviteRecord {
  code: string;
  guild_id: string;
  channel_id: string;
  inviter_id: string;
  max_age: number;
  max_uses: number;
  uses: number;
  temporary: boolean;
  created_at: string;
}

/**
 * A guild audit log entry.
 *
 * @example
 * ```ts
 * emulator.state.auditLog.all().find((e) => e.action_type === 22); // MEMBER_BAN_ADD
 * ```
 */
export interface AuditLogRecord {
  id: string;
  guild_id: string;
  user_id: string;
  target_id: string | null;
  action_type: number;
  reason: string | null;
  changes: { key: string; old_value?: JsonValue; new_value?: JsonValue }[];
  options: Record<string, string> | null;
}

/**
 * Permissions of one command in one guild (`command_id` = application id for the app-wide defaults).
 *
 * @example
 * ```ts
 * emulator.state.commandPermissions.all();
 * ```
 */
export interface CommandPermissionsRecord {
  guild_id: string;
  command_id: string;
  permissions: { id: string; type: number; permission: boolean }[];
}
