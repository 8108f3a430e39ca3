import { Events } from 'discord.js';
import { leaveGuild } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** GUILD_DELETE: the bot left or was removed (`bot_present = false`); an outage is not a departure. */
export const guildDelete = defineEvent({
  name: Events.GuildDelete,
  async execute(ctx, guild) {
    if (!guild.available) return;
    await leaveGuild(ctx, guild.id);
    ctx.logger.info({ guildId: guild.id }, `Left guild ${guild.id}`);
  },
});
