import { Events } from 'discord.js';
import { writeMembers } from '../guild_sync.js';
import { defineEvent } from './types.js';

/**
 * GUILD_ROLE_DELETE: members who held the role lost its permissions; recompute the guild's members
 * (whoever loses the right to manage the guild is revoked in the same transaction).
 */
export const roleDelete = defineEvent({
  name: Events.GuildRoleDelete,
  execute: (ctx, role) =>
    writeMembers(ctx, role.guild.id, role.guild.members.cache.values(), `Role ${role.name} deleted`),
});
