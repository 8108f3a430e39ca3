import { json } from '../../http/http_result.js';
import type { RestRoute } from '../rest_types.js';

/** `GET /gateway`: the gateway URL (no auth). */
export const getGateway: RestRoute = {
  auth: 'none',
  handler: (ctx) => json(200, { url: ctx.config.gatewayUrl }),
};

/** `GET /gateway/bot`: URL, recommended shards and session start limits. */
export const getGatewayBot: RestRoute = {
  auth: 'bot',
  handler: (ctx) =>
    json(200, {
      url: ctx.config.gatewayUrl,
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
    }),
};
