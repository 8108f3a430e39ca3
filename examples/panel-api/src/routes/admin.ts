import { Router } from 'express';
import { requireAdmin, requireSession } from '../auth/middleware.js';
import type { AppContext } from '../context.js';

/** `/api/admin`: the monitoring endpoints, for user ids in `ADMIN_USER_IDS`. */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(requireSession(ctx), requireAdmin(ctx));

  router.get('/websocket/stats', (_req, res) => {
    res.json(ctx.gateway.stats());
  });

  router.get('/cache/stats', (_req, res) => {
    const { redisAvailable, memoryCacheSize, cacheHitRate, hits, misses } = ctx.cache.stats();
    res.json({ redisAvailable, memoryCacheSize, cacheHitRate, hits, misses });
  });

  return router;
}
