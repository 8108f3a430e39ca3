import type { JsonObject } from '../json.js';

/**
 * A permission bitfield given as a decimal string, a number or a bigint.
 *
 * @example
 * ```ts
 * const perms: PermissionValue = '8'; // ADMINISTRATOR
 * ```
 */
export type PermissionValue = string | number | bigint;

/**
 * A channel type by name or by Discord's number.
 *
 * @example
 * ```ts
 * const type: ChannelTypeInput = 'category';
 * ```
 */
export type ChannelTypeInput = 'text' | 'voice' | 'category' | 'announcement' | 'stage' | 'forum' | number;

/**
 * A user to create (seed, `POST /_emulator/users`, or inline in a member).
 *
 * @example
 * ```ts
 * const user: UserInput = { id: '100000000000000009', username: 'alice', globalName: 'Alice' };
 * ```
 */
export interface UserInput {
  /** Defaults to a new snowflake. */
  id?: string | undefined;
  username: string;
  globalName?: string | null | undefined;
  avatar?: string | null | undefined;
  bot?: boolean | undefined;
  /** Defaults to `<username>@users.emulator.invalid`. */
  email?: string | null | undefined;
  locale?: string | undefined;
}

/**
 * A role to create in a guild.
 *
 * @example
 * ```ts
 * const role: RoleInput = { name: 'Admin', permissions: PermissionFlags.Administrator, color: 0xe74c3c };
 * ```
 */
export interface RoleInput {
  id?: string | undefined;
  name: string;
  permissions?: PermissionValue | undefined;
  color?: number | undefined;
  hoist?: boolean | undefined;
  mentionable?: boolean | undefined;
  /** Defaults to above the previous roles. */
  position?: number | undefined;
}

/**
 * A permission overwrite; `id` may be a role name (resolved in the guild) when `type` is `role`.
 *
 * @example
 * ```ts
 * const hidden: OverwriteInput = { id: '@everyone', type: 'role', deny: PermissionFlags.ViewChannel };
 * ```
 */
export interface OverwriteInput {
  id: string;
  type: 'role' | 'member' | 0 | 1;
  allow?: PermissionValue | undefined;
  deny?: PermissionValue | undefined;
}

/**
 * A channel to create; `parent` is a category id or name.
 *
 * @example
 * ```ts
 * const channel: ChannelInput = { name: 'logs', parent: 'Text', topic: 'Bot logs' };
 * ```
 */
export interface ChannelInput {
  id?: string | undefined;
  name: string;
  /** Defaults to `text`. */
  type?: ChannelTypeInput | undefined;
  parent?: string | null | undefined;
  topic?: string | null | undefined;
  nsfw?: boolean | undefined;
  position?: number | undefined;
  rateLimitPerUser?: number | undefined;
  permissionOverwrites?: OverwriteInput[] | undefined;
}

/**
 * A member to add to a guild; `roles` are role ids or names. `user` creates the user when it doesn't exist.
 *
 * @example
 * ```ts
 * const member: MemberInput = { userId: DEMO.users.member, roles: ['Moderator'], nick: 'Mod' };
 * ```
 */
export interface MemberInput {
  userId: string;
  user?: Omit<UserInput, 'id'> | undefined;
  roles?: string[] | undefined;
  nick?: string | null | undefined;
  joinedAt?: string | undefined;
}

/**
 * A guild to create, with its roles, channels and members. The owner is always a member; the bot joins with a
 * managed role (on top of the role list) unless `includeBot` is false.
 *
 * @example
 * ```ts
 * const guild: GuildInput = {
 *   name: 'Test guild',
 *   ownerId: DEMO.users.owner,
 *   roles: [{ name: 'Staff', permissions: PermissionFlags.ManageMessages }],
 *   channels: [{ name: 'general' }],
 *   members: [{ userId: DEMO.users.member, roles: ['Staff'] }],
 * };
 * ```
 */
export interface GuildInput {
  id?: string | undefined;
  name: string;
  ownerId: string;
  icon?: string | null | undefined;
  description?: string | null | undefined;
  preferredLocale?: string | undefined;
  features?: string[] | undefined;
  /** Permissions of @everyone; defaults to `DEFAULT_EVERYONE_PERMISSIONS`. */
  everyonePermissions?: PermissionValue | undefined;
  roles?: RoleInput[] | undefined;
  channels?: ChannelInput[] | undefined;
  members?: MemberInput[] | undefined;
  /** Add the bot as a member (default true). */
  includeBot?: boolean | undefined;
  /** Permissions of the bot's managed role (default: a moderation-capable set without ADMINISTRATOR). */
  botPermissions?: PermissionValue | undefined;
  /** Id of the bot's managed role (default: a new snowflake). */
  botRoleId?: string | undefined;
  /** System channel id or name; defaults to the first text channel. */
  systemChannel?: string | null | undefined;
}

/**
 * Changes to a member. `roles` replaces the role list (ids or names).
 *
 * @example
 * ```ts
 * emulator.control.updateMember(DEMO.guildId, DEMO.users.admin, { roles: [] });
 * ```
 */
export interface MemberPatch {
  roles?: string[] | undefined;
  nick?: string | null | undefined;
  communicationDisabledUntil?: string | null | undefined;
}

/**
 * Changes to a role.
 *
 * @example
 * ```ts
 * emulator.control.updateRole(DEMO.guildId, DEMO.roles.moderator, { name: 'Mods', color: 0x3498db });
 * ```
 */
export interface RolePatch {
  name?: string | undefined;
  permissions?: PermissionValue | undefined;
  color?: number | undefined;
  hoist?: boolean | undefined;
  mentionable?: boolean | undefined;
  position?: number | undefined;
}

/**
 * Changes to a channel.
 *
 * @example
 * ```ts
 * emulator.control.updateChannel(DEMO.channels.logs, { name: 'audit-log' });
 * ```
 */
export interface ChannelPatch {
  name?: string | undefined;
  topic?: string | null | undefined;
  nsfw?: boolean | undefined;
  position?: number | undefined;
  parent?: string | null | undefined;
  rateLimitPerUser?: number | undefined;
  permissionOverwrites?: OverwriteInput[] | undefined;
}

/**
 * A message a user posts through the control API.
 *
 * @example
 * ```ts
 * emulator.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: '!ping' });
 * ```
 */
export interface MessageInput {
  authorId: string;
  content?: string | undefined;
  embeds?: JsonObject[] | undefined;
  /** Id of a message in the same channel this one replies to. */
  replyTo?: string | undefined;
}

/**
 * One option of an application command interaction, in Discord's `data.options` form.
 *
 * @example
 * ```ts
 * const option: InteractionOptionInput = { name: 'user', type: 6, value: DEMO.users.member };
 * ```
 */
export interface InteractionOptionInput {
  name: string;
  type: number;
  value?: string | number | boolean | undefined;
  options?: InteractionOptionInput[] | undefined;
  focused?: boolean | undefined;
}

/**
 * A slash command invocation. `command` may name a subcommand (`'config set'`). `options` is Discord's array, or an
 * object of name → value converted using the registered command's option types (or inferred when unregistered).
 *
 * @example
 * ```ts
 * const { id } = emulator.control.createInteraction({
 *   guildId: DEMO.guildId,
 *   channelId: DEMO.channels.general,
 *   userId: DEMO.users.admin,
 *   command: 'warn',
 *   options: { user: DEMO.users.member, reason: 'spam' },
 * });
 * ```
 */
export interface InteractionInput {
  guildId: string;
  channelId: string;
  userId: string;
  command: string;
  options?: InteractionOptionInput[] | Record<string, string | number | boolean> | undefined;
  locale?: string | undefined;
}
