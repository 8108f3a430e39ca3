import { Events } from 'discord.js';
import type { BotContext } from '../context.js';
import { syncGuild } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** READY (all guilds received): writes every guild and its members to the database. */
export const ready = defineEvent({
  name: Events.ClientReady,
  once: true,
  async execute(ctx: BotContext, client) {
    try {
      for (const guild of client.guilds.cache.values()) {
        if (guild.available) await syncGuild(ctx, guild);
      }
      ctx.markSynced();
    } catch (err) {
      ctx.markSynced(err instanceof Error ? err : new Error(String(err)));
    }
  },
});
