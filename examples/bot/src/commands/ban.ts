import { PermissionFlagsBits } from 'discord.js';
import type { Command } from './types.js';

/**
 * `/ban user reason?` (moderation module). Records the ban (audit log, `command:executed`, log
 * channel) and answers. It does not call Discord's `PUT /guilds/:id/bans/:user`: the reference
 * runs against the Discord emulator, which has no bans endpoint.
 */
export const ban: Command = {
  name: 'ban',
  description: 'Ban a member',
  module: 'moderation',
  permissions: PermissionFlagsBits.BanMembers,
  options: [
    { name: 'user', description: 'The member to ban', type: 'user', required: true },
    { name: 'reason', description: 'Why', type: 'string', required: false },
  ],
  message: true,
  slash: true,
  async run({ args, user, reply }) {
    const target = args['user']!;
    const reason = args['reason'] ?? 'no reason given';
    await reply(`Banned <@${target}>: ${reason}`);
    return { logLine: `${user.username} banned <@${target}>: ${reason}` };
  },
};
