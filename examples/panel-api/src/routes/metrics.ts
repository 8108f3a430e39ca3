import { Router } from 'express';
import type { AppContext } from '../context.js';

/** `GET /metrics`: Prometheus text exposition of the API's registry. */
export function metricsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const body = await ctx.metrics.registry.metrics();
    res.setHeader('content-type', ctx.metrics.registry.contentType);
    res.send(body);
  });
  return router;
}
