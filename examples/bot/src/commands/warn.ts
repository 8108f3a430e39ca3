import { PermissionFlagsBits } from 'discord.js';
import type { Command } from './types.js';

/** `/warn user reason` (moderation module): warns a member, recorded like every command. */
export const warn: Command = {
  name: 'warn',
  description: 'Warn a member',
  module: 'moderation',
  permissions: PermissionFlagsBits.KickMembers,
  options: [
    { name: 'user', description: 'The member to warn', type: 'user', required: true },
    { name: 'reason', description: 'Why', type: 'string', required: true },
  ],
  message: true,
  slash: true,
  async run({ args, user, reply }) {
    const target = args['user']!;
    const reason = args['reason']!;
    await reply(`<@${target}> has been warned: ${reason}`);
    return { logLine: `${user.username} warned <@${target}>: ${reason}` };
  },
};
