import type { Client, Guild, GuildMember, PartialGuildMember, Role } from 'discord.js';
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
  /**
   * Publish `permission:revoked` after `onRevoked`. Set `false` when `onRevoked` queues the event
   * itself in the transaction of its database change (`enqueue` / `enqueueClaimed` of
   * `@wolaro/sync/pg`): the revocation then commits with the change, and survives a crash or a
   * bus outage (the outbox relay publishes it).
   * @defaultValue true
   */
  publish?: boolean;
  /** @defaultValue silent */
  logger?: Logger;
}

/**
 * Watches a discord.js client for members losing admin rights and publishes
 * `permission:revoked` for each, so their panel sessions are kicked out of the guild at once.
 * Covers the five ways it happens: a role taken from a member (`guildMemberUpdate`, reason
 * `Administrator role removed`), ADMINISTRATOR taken from a role (`roleUpdate`: every cached
 * member with that role that no longer has it), an administrator role deleted (`roleDelete`,
 * `Role <name> deleted`), the ownership transferred (`guildUpdate`: the former owner unless an
 * administrator, `Guild ownership transferred`) and a member leaving (`guildMemberRemove`).
 * Needs the `Guilds` and `GuildMembers` intents. Returns a function that stops watching.
 *
 * With `publish: false`, `onRevoked` writes the change and queues the event in one transaction
 * (the outbox of `@wolaro/sync/pg`), so no revocation is lost to a crash or a bus outage.
 *
 * @example
 * ```ts
 * import { watchPermissionRevocations } from '@wolaro/sync/discord';
 *
 * const stop = watchPermissionRevocations(client, sync, {
 *   onRevoked: ({ guildId, userId }) =>
 *     db.query('UPDATE guild_members SET permissions = $1 WHERE guild_id = $2 AND user_id = $3', ['0', guildId, userId]),
 * });
 *
 * // Durable: the event commits with the change (the outbox relay publishes it).
 * import { enqueue, withTransaction } from '@wolaro/sync/pg';
 * watchPermissionRevocations(client, sync, {
 *   publish: false,
 *   onRevoked: ({ guildId, userId, reason }) =>
 *     withTransaction(pool, async (tx) => {
 *       await tx.query('DELETE FROM guild_admins WHERE guild_id = $1 AND user_id = $2', [guildId, userId]);
 *       await enqueue(tx, 'permission:revoked', { guildId, userId, reason });
 *     }),
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

  const publish = options.publish ?? true;
  const revoke = async (revocation: Revocation): Promise<void> => {
    try {
      await options.onRevoked?.(revocation);
      if (!publish) return;
      await sync.publishPermissionRevoked({
        guildId: revocation.guildId,
        userId: revocation.userId,
        reason: revocation.reason,
      });
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
    revokeRoleMembers(newRole, `Administrator permission removed from role ${newRole.name}`, revoke);
  };

  const onRoleDelete = (role: Role): void => {
    // The deleted role is out of the guild's role cache: its members' permissions no longer count it.
    if (role.permissions.has(ADMINISTRATOR)) revokeRoleMembers(role, `Role ${role.name} deleted`, revoke);
  };

  const onGuildUpdate = (oldGuild: Guild, newGuild: Guild): void => {
    const formerId = oldGuild.ownerId;
    if (formerId === newGuild.ownerId) return;
    // A former owner not in the cache: its rights are unknown, revoke to be safe.
    const member = newGuild.members.cache.get(formerId);
    if (member?.permissions.has(ADMINISTRATOR)) return;
    void revoke({ guildId: newGuild.id, userId: formerId, reason: 'Guild ownership transferred', member });
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
  client.on('roleDelete', onRoleDelete);
  client.on('guildUpdate', onGuildUpdate);
  const watchRemove = options.onMemberRemove ?? true;
  if (watchRemove) client.on('guildMemberRemove', onMemberRemove);
  return () => {
    client.off('guildMemberUpdate', onMemberUpdate);
    client.off('roleUpdate', onRoleUpdate);
    client.off('roleDelete', onRoleDelete);
    client.off('guildUpdate', onGuildUpdate);
    if (watchRemove) client.off('guildMemberRemove', onMemberRemove);
  };
}

/** Revokes every cached member of `role` who is neither the owner nor still an administrator. */
function revokeRoleMembers(role: Role, reason: string, revoke: (r: Revocation) => Promise<void>): void {
  for (const member of role.members.values()) {
    if (isOwner(member) || member.permissions.has(ADMINISTRATOR)) continue;
    void revoke({ guildId: role.guild.id, userId: member.id, reason, member });
  }
}
