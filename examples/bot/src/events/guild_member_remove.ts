import { removeMember } from '@wolaro/db';
import { Events } from 'discord.js';
import { defineEvent } from './types.js';

/** GUILD_MEMBER_REMOVE: the member's row goes (no panel access to a guild one left). */
export const guildMemberRemove = defineEvent({
  name: Events.GuildMemberRemove,
  async execute(ctx, member) {
    await removeMember(ctx.db.pool, member.guild.id, member.id);
  },
});
