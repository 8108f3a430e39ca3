import { Events } from 'discord.js';
import { syncGuild } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** A guild back from a Discord outage: members may have changed meanwhile, sync it again. */
export const guildAvailable = defineEvent({
  name: Events.GuildAvailable,
  execute(ctx, guild) {
    // During start-up every guild "becomes available"; the ready handler syncs those.
    if (!ctx.client.isReady()) return;
    return syncGuild(ctx, guild);
  },
});
