import { Router } from 'express';
import { requireAdmin, requireSession } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { CacheStats, WebsocketStats } from '../contract/index.js';

/** `/api/admin`: the monitoring endpoints, for user ids in `ADMIN_USER_IDS`. */
export function adminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(requireSession(ctx), requireAdmin(ctx));

  router.get('/websocket/stats', (_req, res) => {
    const { connectedUsers, totalConnections, rooms } = ctx.gateway.stats();
    res.json({ connectedUsers, totalConnections, rooms } satisfies WebsocketStats);
  });

  router.get('/cache/stats', (_req, res) => {
    const { redisAvailable, memoryCacheSize, cacheHitRate, hits, misses } = ctx.cache.stats();
    res.json({ redisAvailable, memoryCacheSize, cacheHitRate, hits, misses } satisfies CacheStats);
  });

  return router;
}
