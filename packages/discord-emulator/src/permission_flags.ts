/**
 * Discord permission bits (as bigints), for seeds and assertions.
 *
 * @example
 * ```ts
 * import { PermissionFlags } from '@wolaro/discord-emulator';
 * const moderator = PermissionFlags.KickMembers | PermissionFlags.BanMembers | PermissionFlags.ManageMessages;
 * ```
 */
export const PermissionFlags = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  BanMembers: 1n << 2n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewAuditLog: 1n << 7n,
  PrioritySpeaker: 1n << 8n,
  Stream: 1n << 9n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  SendTTSMessages: 1n << 12n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  ViewGuildInsights: 1n << 19n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  MuteMembers: 1n << 22n,
  DeafenMembers: 1n << 23n,
  MoveMembers: 1n << 24n,
  UseVAD: 1n << 25n,
  ChangeNickname: 1n << 26n,
  ManageNicknames: 1n << 27n,
  ManageRoles: 1n << 28n,
  ManageWebhooks: 1n << 29n,
  ManageGuildExpressions: 1n << 30n,
  UseApplicationCommands: 1n << 31n,
  RequestToSpeak: 1n << 32n,
  ManageEvents: 1n << 33n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  CreatePrivateThreads: 1n << 36n,
  UseExternalStickers: 1n << 37n,
  SendMessagesInThreads: 1n << 38n,
  UseEmbeddedActivities: 1n << 39n,
  ModerateMembers: 1n << 40n,
  ViewCreatorMonetizationAnalytics: 1n << 41n,
  UseSoundboard: 1n << 42n,
  CreateGuildExpressions: 1n << 43n,
  CreateEvents: 1n << 44n,
  UseExternalSounds: 1n << 45n,
  SendVoiceMessages: 1n << 46n,
  SetVoiceChannelStatus: 1n << 48n,
  SendPolls: 1n << 49n,
  UseExternalApps: 1n << 50n,
  PinMessages: 1n << 51n,
  BypassSlowmode: 1n << 52n,
} as const;

/**
 * Every known permission bit; what owners and administrators get.
 *
 * @example
 * ```ts
 * import { ALL_PERMISSIONS } from '@wolaro/discord-emulator';
 * expect(ownerGuild.permissions).toBe(ALL_PERMISSIONS.toString());
 * ```
 */
export const ALL_PERMISSIONS: bigint = Object.values(PermissionFlags).reduce((all, bit) => all | bit, 0n);

/**
 * Permissions of `@everyone` in guilds the emulator creates without explicit permissions
 * (view, send, read history, reactions, embeds, files, mentions of external emojis, slash commands, threads...).
 *
 * @example
 * ```ts
 * import { DEFAULT_EVERYONE_PERMISSIONS } from '@wolaro/discord-emulator';
 * DEFAULT_EVERYONE_PERMISSIONS.toString();
 * ```
 */
export const DEFAULT_EVERYONE_PERMISSIONS: bigint =
  PermissionFlags.CreateInstantInvite |
  PermissionFlags.AddReactions |
  PermissionFlags.Stream |
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.UseExternalEmojis |
  PermissionFlags.Connect |
  PermissionFlags.Speak |
  PermissionFlags.UseVAD |
  PermissionFlags.ChangeNickname |
  PermissionFlags.UseApplicationCommands |
  PermissionFlags.CreatePublicThreads |
  PermissionFlags.SendMessagesInThreads |
  PermissionFlags.UseExternalStickers |
  PermissionFlags.SendVoiceMessages |
  PermissionFlags.SendPolls;

/**
 * Parses a permission value given as a bigint, a number or a decimal string.
 *
 * @example
 * ```ts
 * import { parsePermissions } from '@wolaro/discord-emulator';
 * parsePermissions('8'); // 8n
 * ```
 */
export function parsePermissions(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  return /^\d+$/.test(value) ? BigInt(value) : 0n;
}

/**
 * A channel permission overwrite, as Discord sends it.
 *
 * @example
 * ```ts
 * const hideFromEveryone: PermissionOverwrite = { id: guildId, type: 0, allow: '0', deny: '1024' };
 * ```
 */
export interface PermissionOverwrite {
  /** Role or user id. */
  id: string;
  /** 0 = role, 1 = member. */
  type: 0 | 1;
  allow: string;
  deny: string;
}

/**
 * What {@link computeGuildPermissions} and {@link computeChannelPermissions} need to know.
 *
 * @example
 * ```ts
 * const subject: PermissionSubject = {
 *   guildId: '1', ownerId: '2', userId: '3', memberRoleIds: ['4'],
 *   rolePermissions: new Map([['1', 1024n], ['4', 8n]]),
 * };
 * ```
 */
export interface PermissionSubject {
  guildId: string;
  ownerId: string;
  userId: string;
  /** Role ids of the member (without @everyone). */
  memberRoleIds: readonly string[];
  /** Permissions of every role in the guild, by role id (must include @everyone, id = guild id). */
  rolePermissions: ReadonlyMap<string, bigint>;
}

/**
 * Guild-level permissions of a member, as Discord computes them: owner → all; otherwise `@everyone` | roles, and
 * ADMINISTRATOR → all.
 *
 * @example
 * ```ts
 * import { computeGuildPermissions } from '@wolaro/discord-emulator';
 * const perms = computeGuildPermissions({ guildId, ownerId, userId, memberRoleIds, rolePermissions });
 * ```
 */
export function computeGuildPermissions(subject: PermissionSubject): bigint {
  if (subject.userId === subject.ownerId) return ALL_PERMISSIONS;
  let permissions = subject.rolePermissions.get(subject.guildId) ?? 0n;
  for (const roleId of subject.memberRoleIds) permissions |= subject.rolePermissions.get(roleId) ?? 0n;
  if ((permissions & PermissionFlags.Administrator) !== 0n) return ALL_PERMISSIONS;
  return permissions;
}

/**
 * Channel-level permissions: guild permissions, then @everyone, role and member overwrites, in Discord's order.
 *
 * @example
 * ```ts
 * import { computeChannelPermissions, PermissionFlags } from '@wolaro/discord-emulator';
 * const canSend = (computeChannelPermissions(subject, channel.permission_overwrites) & PermissionFlags.SendMessages) !== 0n;
 * ```
 */
export function computeChannelPermissions(
  subject: PermissionSubject,
  overwrites: readonly PermissionOverwrite[],
): bigint {
  const base = computeGuildPermissions(subject);
  if ((base & PermissionFlags.Administrator) !== 0n || base === ALL_PERMISSIONS) return ALL_PERMISSIONS;
  let permissions = base;
  const everyone = overwrites.find((o) => o.type === 0 && o.id === subject.guildId);
  if (everyone)
    permissions = (permissions & ~parsePermissions(everyone.deny)) | parsePermissions(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const overwrite of overwrites) {
    if (
      overwrite.type === 0 &&
      overwrite.id !== subject.guildId &&
      subject.memberRoleIds.includes(overwrite.id)
    ) {
      allow |= parsePermissions(overwrite.allow);
      deny |= parsePermissions(overwrite.deny);
    }
  }
  permissions = (permissions & ~deny) | allow;
  const member = overwrites.find((o) => o.type === 1 && o.id === subject.userId);
  if (member) permissions = (permissions & ~parsePermissions(member.deny)) | parsePermissions(member.allow);
  if ((permissions & PermissionFlags.ViewChannel) === 0n) return 0n;
  return permissions;
}
