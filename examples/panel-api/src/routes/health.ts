import { Router } from 'express';
import type { AppContext } from '../context.js';
import type { Health } from '../contract/index.js';

/** `GET /api/health`: `{ status, database, redis, ... }`; 503 when the database is down. */
export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const report = await ctx.health();
    res.setHeader('cache-control', 'no-store');
    res.status(report.database === 'connected' ? 200 : 503).json(report satisfies Health);
  });
  return router;
}
