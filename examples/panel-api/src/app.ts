import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { AppContext } from './context.js';
import { errorHandler, notFoundHandler, requestDeadline } from './http/error_handler.js';
import { limiter } from './http/write_limits.js';
import { adminRouter } from './routes/admin.js';
import { authRouter } from './routes/auth.js';
import { discordRouter } from './routes/discord.js';
import { panelRouter } from './routes/guilds.js';
import { healthRouter } from './routes/health.js';
import { metricsRouter } from './routes/metrics.js';

/**
 * The Express app: security headers, CORS limited to `PANEL_ORIGIN`, a JSON body limit, a rate
 * limit on `/api`, the routers, the optional static panel at `/panel`, and one error handler.
 */
export function createApp(ctx: AppContext): Express {
  const { config } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(ctx.metrics.middleware());
  app.use('/api', requestDeadline(config.requestTimeoutMs, ctx.logger.child({ component: 'http' })));
  app.use(helmet());
  app.use(
    '/api',
    cors({
      origin: config.panelOrigin ? [config.panelOrigin] : false,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    }),
  );
  app.use(
    '/api',
    limiter(config.rateLimit.windowMs, config.rateLimit.max, 'Too many requests: slow down and retry later'),
  );
  app.use(express.json({ limit: config.bodyLimitBytes, strict: true }));

  app.use('/api', healthRouter(ctx));
  // Everything below needs the database; health answers on its own connection whatever happens.
  app.use('/api', ctx.shedding.middleware);
  app.use('/api/auth', authRouter(ctx));
  app.use('/api/panel', panelRouter(ctx));
  app.use('/api/discord', discordRouter(ctx));
  app.use('/api/admin', adminRouter(ctx));
  app.use(metricsRouter(ctx));

  if (config.panelWebDir) {
    const dir = resolve(config.panelWebDir);
    const index = join(dir, 'index.html');
    app.use('/panel', express.static(dir, { index: 'index.html', fallthrough: true }));
    // SPA fallback: client-side routes (/panel/guilds/123) get the app shell.
    app.get('/panel{/*path}', (_req, res, next) => {
      if (!existsSync(index)) {
        next();
        return;
      }
      res.sendFile(index);
    });
    app.get('/', (_req, res) => res.redirect(302, '/panel/'));
  }

  app.use(notFoundHandler);
  app.use(errorHandler(ctx.logger.child({ component: 'http' })));
  return app;
}
