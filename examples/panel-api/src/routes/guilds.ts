import { Router } from 'express';
import { authOf, guildIdOf, requireGuildManager, requireSession } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import {
  type EventPublisher,
  getGuild,
  isModuleName,
  listAuditLog,
  listManagedGuilds,
  listRevisions,
  requestGuildReload,
  restoreRevision,
  updateGuildModule,
  updateGuildSettings,
} from '../db/index.js';
import { notFound } from '../http/errors.js';
import { parse } from '../http/validate.js';
import {
  logsQuery,
  patchGuildBody,
  patchModuleBody,
  restoreBody,
  revisionParams,
  revisionsQuery,
  syncBody,
} from './guilds.schemas.js';

/**
 * `/api/panel`: the guilds a user manages and their configuration. Every route needs a session;
 * every `/guilds/:id` route also needs owner/ADMINISTRATOR rights on that guild and the bot in it.
 * Writes are versioned and go through the outbox.
 */
export function panelRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSession(ctx);
  const manager = requireGuildManager(ctx);
  const publisher: EventPublisher = {
    sync: ctx.sync,
    relay: ctx.relay,
    logger: ctx.logger.child({ component: 'outbox' }),
  };

  router.get('/guilds', session, async (_req, res) => {
    const guilds = await listManagedGuilds(ctx.pool, authOf(res).userId);
    res.json({ guilds });
  });

  router.get('/guilds/:id', session, manager, async (_req, res) => {
    const guild = await getGuild(ctx.pool, guildIdOf(res));
    if (!guild) throw notFound('The bot is not in this guild', 'guild_not_found');
    res.json({
      guildId: guild.guildId,
      name: guild.name,
      icon: guild.icon,
      settings: guild.settings,
      modules: guild.modules,
      version: guild.version,
    });
  });

  router.patch('/guilds/:id', session, manager, async (req, res) => {
    const body = parse(patchGuildBody, req.body, 'body');
    const result = await updateGuildSettings(ctx.pool, publisher, {
      guildId: guildIdOf(res),
      patch: body.settings,
      expectedVersion: body.version,
      changedBy: authOf(res).userId,
    });
    res.json({ guildId: guildIdOf(res), settings: result.settings, version: result.version });
  });

  router.patch('/guilds/:id/modules/:name', session, manager, async (req, res) => {
    const raw = req.params['name'];
    const name = typeof raw === 'string' ? raw : '';
    if (!isModuleName(name)) throw notFound(`Unknown module "${name.slice(0, 32)}"`);
    const body = parse(patchModuleBody(name), req.body, 'body');
    const result = await updateGuildModule(ctx.pool, publisher, {
      guildId: guildIdOf(res),
      module: name,
      enabled: body.enabled,
      config: body.config,
      expectedVersion: body.version,
      changedBy: authOf(res).userId,
    });
    res.json({ guildId: guildIdOf(res), module: name, ...result.module, version: result.version });
  });

  router.post('/guilds/:id/sync', session, manager, async (req, res) => {
    const body = parse(syncBody, req.body ?? {}, 'body');
    const { published } = await requestGuildReload(ctx.pool, publisher, {
      guildId: guildIdOf(res),
      reason: body.reason ?? `Manual sync by ${authOf(res).userId}`,
    });
    res.status(202).json({ ok: true, published });
  });

  router.get('/guilds/:id/revisions', session, manager, async (req, res) => {
    const { limit } = parse(revisionsQuery, req.query, 'query');
    res.json({ revisions: await listRevisions(ctx.pool, guildIdOf(res), limit) });
  });

  router.post('/guilds/:id/revisions/:rev/restore', session, manager, async (req, res) => {
    const { rev } = parse(revisionParams, { rev: req.params['rev'] }, 'params');
    const body = parse(restoreBody, req.body ?? {}, 'body');
    const result = await restoreRevision(ctx.pool, publisher, {
      guildId: guildIdOf(res),
      revision: rev,
      expectedVersion: body.version,
      changedBy: authOf(res).userId,
    });
    res.json({
      guildId: guildIdOf(res),
      restored: result.restored,
      settings: result.settings,
      modules: result.modules,
      version: result.version,
    });
  });

  router.get('/guilds/:id/logs', session, manager, async (req, res) => {
    const { limit } = parse(logsQuery, req.query, 'query');
    res.json({ logs: await listAuditLog(ctx.pool, guildIdOf(res), limit) });
  });

  return router;
}
