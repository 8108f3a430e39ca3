import { Events } from 'discord.js';
import { writeMembers } from '../guild_sync.js';
import { defineEvent } from './types.js';

/**
 * GUILD_MEMBER_UPDATE: the member's recomputed permissions to the database; losing ADMINISTRATOR
 * revokes the member's panel access in the same transaction.
 */
export const guildMemberUpdate = defineEvent({
  name: Events.GuildMemberUpdate,
  execute: (ctx, _oldMember, newMember) =>
    writeMembers(ctx, newMember.guild.id, [newMember], 'Administrator role removed'),
});
