import { Events } from 'discord.js';
import { writeMembers } from '../guild_sync.js';
import { defineEvent } from './types.js';

/**
 * GUILD_MEMBER_UPDATE: the member's recomputed permissions to the database. (Losing
 * ADMINISTRATOR is also handled by `watchPermissionRevocations`, which writes before it publishes.)
 */
export const guildMemberUpdate = defineEvent({
  name: Events.GuildMemberUpdate,
  execute: (ctx, _oldMember, newMember) => writeMembers(ctx, newMember.guild.id, [newMember]),
});
