import { Events } from 'discord.js';
import { writeMembers } from '../guild_sync.js';
import { defineEvent } from './types.js';

/**
 * GUILD_ROLE_UPDATE: a role's permissions changed, so did those of every member holding it (a role
 * losing ADMINISTRATOR revokes the members it made admins, in the same transaction).
 */
export const roleUpdate = defineEvent({
  name: Events.GuildRoleUpdate,
  async execute(ctx, oldRole, newRole) {
    if (oldRole.permissions.bitfield === newRole.permissions.bitfield) return;
    await writeMembers(
      ctx,
      newRole.guild.id,
      newRole.members.values(),
      `Administrator permission removed from role ${newRole.name}`,
    );
  },
});
