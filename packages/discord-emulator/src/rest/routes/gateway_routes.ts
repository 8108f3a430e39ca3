import { json } from '../../http/http_result.js';
import type { RestRoute } from '../rest_types.js';

/** `GET /gateway`: the gateway URL (no auth). */
export const getGateway: RestRoute = {
  auth: 'none',
  handler: (ctx) => json(200, { url: ctx.config.gatewayUrl }),
};

/** Guilds per recommended shard: Discord recommends about one shard per 1,000 guilds. */
const GUILDS_PER_SHARD = 1000;

/**
 * `GET /gateway/bot`: URL, recommended shards (the `recommendedShards` option, else one per 1,000
 * guilds of the bot) and session start limits.
 */
export const getGatewayBot: RestRoute = {
  auth: 'bot',
  handler: (ctx) =>
    json(200, {
      url: ctx.config.gatewayUrl,
      shards:
        ctx.config.recommendedShards ??
        Math.max(1, Math.ceil(ctx.state.guildIdsOf(ctx.state.application().id).length / GUILDS_PER_SHARD)),
      session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
    }),
};
