import {
  computeChannelPermissions,
  computeGuildPermissions,
  type PermissionSubject,
  parsePermissions,
} from '../permission_flags.js';
import type { EmulatorState } from '../state/state_store.js';

function subjectOf(state: EmulatorState, guildId: string, userId: string): PermissionSubject | undefined {
  const guild = state.guild(guildId);
  const member = state.member(guildId, userId);
  if (!guild || !member) return undefined;
  const rolePermissions = new Map(state.roles(guildId).map((r) => [r.id, parsePermissions(r.permissions)]));
  return { guildId, ownerId: guild.owner_id, userId, memberRoleIds: member.roles, rolePermissions };
}

/** Guild-level permissions of a member (0n when not a member). */
export function guildPermissionsOf(state: EmulatorState, guildId: string, userId: string): bigint {
  const subject = subjectOf(state, guildId, userId);
  return subject ? computeGuildPermissions(subject) : 0n;
}

/** Permissions of a member in a channel, overwrites applied (0n when not a member). */
export function channelPermissionsOf(state: EmulatorState, channelId: string, userId: string): bigint {
  const found = state.channel(channelId);
  // A thread has its parent channel's permissions.
  const channel = found?.thread && found.parent_id ? state.channel(found.parent_id) : found;
  if (!channel) return 0n;
  const subject = subjectOf(state, channel.guild_id, userId);
  if (!subject) return 0n;
  return computeChannelPermissions(subject, channel.permission_overwrites);
}

/** Position of the highest role of a member (owner → +Infinity). */
export function highestRolePosition(state: EmulatorState, guildId: string, userId: string): number {
  const guild = state.guild(guildId);
  if (guild?.owner_id === userId) return Number.POSITIVE_INFINITY;
  const member = state.member(guildId, userId);
  if (!member) return -1;
  return member.roles.reduce((max, id) => Math.max(max, state.role(id)?.position ?? 0), 0);
}
