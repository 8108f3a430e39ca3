import { createHash, timingSafeEqual } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import type { AppContext } from '../context.js';
import { unauthorized } from '../http/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are hashed first, so the
 * comparison takes the same time whatever the length or the first wrong character.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/**
 * `GET /metrics`: Prometheus text exposition of the API's registry. With `METRICS_TOKEN` it needs
 * `Authorization: Bearer <token>` (401 otherwise); without it, it is open in development and not
 * served at all (404) when `NODE_ENV=production`, since the metrics describe the traffic and the
 * infrastructure.
 */
export function metricsRouter(ctx: AppContext): Router {
  const router = Router();
  const { metricsToken, nodeEnv } = ctx.config;
  if (metricsToken === undefined && nodeEnv === 'production') {
    ctx.logger.warn({}, '/metrics is off: set METRICS_TOKEN to let Prometheus scrape it with a bearer token');
    return router;
  }
  const guard: RequestHandler = (req, res, next) => {
    if (metricsToken === undefined || bearerMatches(req.headers.authorization, metricsToken)) {
      next();
      return;
    }
    res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    next(unauthorized('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>'));
  };
  router.get('/metrics', guard, async (_req, res) => {
    const body = await ctx.metrics.registry.metrics();
    res.setHeader('content-type', ctx.metrics.registry.contentType);
    res.send(body);
  });
  return router;
}
