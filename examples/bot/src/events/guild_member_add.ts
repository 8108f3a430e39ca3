import { Events } from 'discord.js';
import { writeMembers } from '../guild_sync.js';
import { greetMember } from '../modules/welcome.js';
import { defineEvent } from './types.js';

/** GUILD_MEMBER_ADD: the member to the database, then the welcome module's greeting. */
export const guildMemberAdd = defineEvent({
  name: Events.GuildMemberAdd,
  async execute(ctx, member) {
    await writeMembers(ctx, member.guild.id, [member]);
    await greetMember(ctx, member);
  },
});
