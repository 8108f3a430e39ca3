import { Router } from 'express';
import { guildIdOf, requireGuildManager, requireSession } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { GuildChannels } from '../contract/index.js';
import { DiscordApiError, groupChannels } from '../discord/api.js';
import { ApiError } from '../http/errors.js';

/** Cache key of a guild's channel names (under the cache's key prefix). */
export const channelsCacheKey = (guildId: string) => `discord:channels:${guildId}`;

/**
 * `/api/discord`: data only Discord has (channel names for the log-channel picker), fetched with
 * the bot token and cached for `CHANNEL_CACHE_TTL_SECONDS`. Same checks as `/api/panel`.
 */
export function discordRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/guilds/:id/channels', requireSession(ctx), requireGuildManager(ctx), async (_req, res) => {
    const guildId = guildIdOf(res);
    const key = channelsCacheKey(guildId);
    const cached = await ctx.cache.getJSON<GuildChannels>(key);
    if (cached) {
      ctx.metrics.channelCache.inc({ result: 'hit' });
      res.json(cached satisfies GuildChannels);
      return;
    }
    ctx.metrics.channelCache.inc({ result: 'miss' });
    if (!ctx.discord.botConfigured) {
      throw new ApiError(503, 'discord_unavailable', 'DISCORD_TOKEN is not configured');
    }
    let channels: GuildChannels;
    try {
      channels = groupChannels(await ctx.discord.guildChannels(guildId));
    } catch (err) {
      if (err instanceof DiscordApiError && err.status === 404) {
        throw new ApiError(404, 'guild_not_found', 'Discord does not know this guild');
      }
      throw new ApiError(502, 'discord_error', 'Discord did not answer as expected', {}, { cause: err });
    }
    await ctx.cache.setJSON(key, channels, ctx.config.channelCacheTtlSeconds);
    res.json(channels satisfies GuildChannels);
  });

  return router;
}
