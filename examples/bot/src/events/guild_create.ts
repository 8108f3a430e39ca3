import { Events } from 'discord.js';
import { syncGuild } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** GUILD_CREATE after READY (the bot joined a guild): guild, members and slash commands to the database. */
export const guildCreate = defineEvent({
  name: Events.GuildCreate,
  execute: (ctx, guild) => syncGuild(ctx, guild),
});
