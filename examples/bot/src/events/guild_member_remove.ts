import { Events } from 'discord.js';
import { writeMemberChanges } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** GUILD_MEMBER_REMOVE: the member's row goes (no panel access to a guild one left), revoked at once. */
export const guildMemberRemove = defineEvent({
  name: Events.GuildMemberRemove,
  execute: (ctx, member) =>
    writeMemberChanges(ctx, {
      guildId: member.guild.id,
      remove: [member.id],
      reason: 'Member left the guild',
    }),
});
