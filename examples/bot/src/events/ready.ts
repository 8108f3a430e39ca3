import { markGuildsLeftExcept } from '@wolaro/db';
import { Events } from 'discord.js';
import type { BotContext } from '../context.js';
import { syncGuild } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** Guilds synced at once on READY. */
const SYNC_CONCURRENCY = 4;

/**
 * READY (all guilds received): writes every guild of this process and its members to the
 * database, then marks left the guilds of this process's shards that READY no longer lists (the
 * bot was removed while it was away). Another shard's guilds are never touched: they are not in
 * this process's READY.
 */
export const ready = defineEvent({
  name: Events.ClientReady,
  once: true,
  async execute(ctx: BotContext, client) {
    try {
      const guilds = [...client.guilds.cache.values()].filter((guild) => ctx.shard.owns(guild.id));
      // A few guilds at a time: a bot in many guilds is ready sooner, and the pool keeps
      // connections for the commands that arrive meanwhile.
      const queue = guilds.filter((guild) => guild.available);
      const worker = async () => {
        for (let guild = queue.shift(); guild; guild = queue.shift()) await syncGuild(ctx, guild);
      };
      await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, queue.length) }, worker));
      const present = guilds.map((guild) => guild.id);
      const left = await markGuildsLeftExcept(ctx.db.pool, present, ctx.shard.shards);
      if (left.length > 0) {
        ctx.logger.info({ guildIds: left }, `Marked ${left.length} guild(s) left while the bot was away`);
      }
      ctx.markSynced();
    } catch (err) {
      ctx.markSynced(err instanceof Error ? err : new Error(String(err)));
    }
  },
});
