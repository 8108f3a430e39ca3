import type { Client, GuildMember, PartialGuildMember, Role } from 'discord.js';
import type { ChannelMap } from '../channels/define.js';
import type { SyncClient } from '../client/sync_client.js';
import { type Logger, silentLogger } from '../logger.js';
import { validateWatch } from './validate_options.js';

// discord.js is an optional peer dependency: only its types are imported, never its code.
const ADMINISTRATOR = 'Administrator';

/**
 * Whether a member update took away the right to manage the guild from the panel: the member had
 * ADMINISTRATOR (or owned the guild) before and has neither now. A partial old member (not in
 * the cache) gives `false`: nothing is known about what it had.
 *
 * @example
 * ```ts
 * client.on('guildMemberUpdate', (oldMember, newMember) => {
 *   if (lostAdministrator(oldMember, newMember)) console.log(`${newMember.id} lost admin`);
 * });
 * ```
 */
export function lostAdministrator(
  oldMember: GuildMember | PartialGuildMember,
  newMember: GuildMember,
): boolean {
  if (oldMember.partial) return false;
  const had = isOwner(oldMember) || oldMember.permissions.has(ADMINISTRATOR);
  const has = isOwner(newMember) || newMember.permissions.has(ADMINISTRATOR);
  return had && !has;
}

function isOwner(member: GuildMember): boolean {
  return member.guild.ownerId === member.id;
}

/**
 * What {@link watchPermissionRevocations} tells `onRevoked`.
 *
 * @example
 * ```ts
 * const onRevoked = async ({ guildId, userId, reason }: Revocation) => db.revokeAdmin(guildId, userId, reason);
 * ```
 */
export interface Revocation {
  guildId: string;
  userId: string;
  reason: string;
  /** The member after the change, or undefined when they left the guild. */
  member: GuildMember | undefined;
}

/**
 * Options of {@link watchPermissionRevocations}.
 *
 * @example
 * ```ts
 * const options: WatchPermissionOptions = { onRevoked: (r) => db.updateMemberPermissions(r.guildId, r.userId) };
 * ```
 */
export interface WatchPermissionOptions {
  /**
   * Runs before the event is published: update the database here (e.g.
   * `UPDATE guild_members SET permissions = …`). If it throws, nothing is published.
   */
  onRevoked?: (revocation: Revocation) => Promise<void> | void;
  /**
   * Also revoke when a member leaves or is removed from the guild.
   * @defaultValue true
   */
  onMemberRemove?: boolean;
  /** @defaultValue silent */
  logger?: Logger;
}

/**
 * Watches a discord.js client for members losing admin rights and publishes
 * `permission:revoked` for each, so their panel sessions are kicked out of the guild at once.
 * Covers the three ways it happens: a role taken from a member (`guildMemberUpdate`, reason
 * `Administrator role removed`), ADMINISTRATOR taken from a role (`roleUpdate`: every cached
 * member with that role that no longer has it), and a member leaving (`guildMemberRemove`).
 * Needs the `Guilds` and `GuildMembers` intents. Returns a function that stops watching.
 *
 * @example
 * ```ts
 * import { watchPermissionRevocations } from '@wolaro/sync/discord';
 *
 * const stop = watchPermissionRevocations(client, sync, {
 *   onRevoked: ({ guildId, userId }) =>
 *     db.query('UPDATE guild_members SET permissions = $1 WHERE guild_id = $2 AND user_id = $3', ['0', guildId, userId]),
 * });
 * ```
 */
export function watchPermissionRevocations<M extends ChannelMap>(
  client: Client,
  sync: SyncClient<M>,
  options: WatchPermissionOptions = {},
): () => void {
  validateWatch(client, sync, options);
  const logger = options.logger ?? silentLogger;

  const revoke = async (revocation: Revocation): Promise<void> => {
    try {
      await options.onRevoked?.(revocation);
      await sync.publishPermissionRevoked(revocation.guildId, revocation.userId, revocation.reason);
    } catch (err) {
      logger.error(
        { err, guildId: revocation.guildId, userId: revocation.userId },
        `Permission revocation for user ${revocation.userId} in guild ${revocation.guildId} failed`,
      );
    }
  };

  const onMemberUpdate = (oldMember: GuildMember | PartialGuildMember, newMember: GuildMember): void => {
    if (!lostAdministrator(oldMember, newMember)) return;
    void revoke({
      guildId: newMember.guild.id,
      userId: newMember.id,
      reason: 'Administrator role removed',
      member: newMember,
    });
  };

  const onRoleUpdate = (oldRole: Role, newRole: Role): void => {
    if (!oldRole.permissions.has(ADMINISTRATOR) || newRole.permissions.has(ADMINISTRATOR)) return;
    for (const member of newRole.members.values()) {
      if (isOwner(member) || member.permissions.has(ADMINISTRATOR)) continue;
      void revoke({
        guildId: newRole.guild.id,
        userId: member.id,
        reason: `Administrator permission removed from role ${newRole.name}`,
        member,
      });
    }
  };

  const onMemberRemove = (member: GuildMember | PartialGuildMember): void => {
    // A partial member's rights are unknown: revoke to be safe (it is harmless for a non-admin).
    if (!member.partial && !isOwner(member) && !member.permissions.has(ADMINISTRATOR)) return;
    void revoke({
      guildId: member.guild.id,
      userId: member.id,
      reason: 'Member left the guild',
      member: undefined,
    });
  };

  client.on('guildMemberUpdate', onMemberUpdate);
  client.on('roleUpdate', onRoleUpdate);
  const watchRemove = options.onMemberRemove ?? true;
  if (watchRemove) client.on('guildMemberRemove', onMemberRemove);
  return () => {
    client.off('guildMemberUpdate', onMemberUpdate);
    client.off('roleUpdate', onRoleUpdate);
    if (watchRemove) client.off('guildMemberRemove', onMemberRemove);
  };
}
