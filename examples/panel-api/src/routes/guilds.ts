import {
  getGuild,
  isModuleName,
  listAuditLog,
  listManagedGuilds,
  listRevisions,
  requestGuildReload,
  restoreRevision,
  updateGuildModule,
  updateGuildSettings,
} from '@wolaro/db';
import { PreconditionFailedError } from '@wolaro/sync/pg';
import { type RequestHandler, Router } from 'express';
import {
  authOf,
  guildIdOf,
  requireGuildManager,
  requireSession,
  requireTokenForGuildWrite,
  verifyAccess,
  verifyAccessOnError,
} from '../auth/middleware.js';
import { type AppContext, eventPublisher } from '../context.js';
import {
  type AuditLog,
  type GuildDetail,
  type GuildList,
  type ModuleUpdateResult,
  patchGuildBody,
  patchModuleBody,
  type RestoreResult,
  type RevisionList,
  restoreBody,
  type SettingsUpdateResult,
  type SyncResult,
  syncBody,
} from '../contract/index.js';
import { notFound } from '../http/errors.js';
import { parse } from '../http/validate.js';
import { writeLimits } from '../http/write_limits.js';
import { logsQuery, revisionParams, revisionsQuery } from './guilds.schemas.js';
import { auditEntryBody, revisionBody } from './responses.js';

/**
 * `/api/panel`: the guilds a user manages and their configuration. Every route needs a session;
 * every `/guilds/:id` route also needs owner/ADMINISTRATOR rights on that guild and the bot in it.
 * Writes are versioned and go through the outbox. Bodies and answers follow the contract
 * (`@wolaro/panel-api/contract`): answers are checked against its types at compile time, and
 * test/contract.test.ts validates every route's real answer with its schema.
 */
export function panelRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSession(ctx);
  const manager = requireGuildManager(ctx);

  router.get('/guilds', session, async (_req, res) => {
    const guilds = await listManagedGuilds(ctx.pool, authOf(res).userId);
    res.json({ guilds } satisfies GuildList);
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
    } satisfies GuildDetail);
  });

  router.get('/guilds/:id/revisions', session, manager, async (req, res) => {
    const { limit } = parse(revisionsQuery, req.query, 'query');
    const revisions = await listRevisions(ctx.pool, guildIdOf(res), limit);
    res.json({ revisions: revisions.map(revisionBody) } satisfies RevisionList);
  });

  router.get('/guilds/:id/logs', session, manager, async (req, res) => {
    const { limit } = parse(logsQuery, req.query, 'query');
    const logs = await listAuditLog(ctx.pool, guildIdOf(res), limit);
    res.json({ logs: logs.map(auditEntryBody) } satisfies AuditLog);
  });

  writeRoutes(router, ctx, session, manager);
  return router;
}

/** The versioned writes of `/api/panel/guilds/:id`: settings, a module, a sync, a restore. */
function writeRoutes(
  router: Router,
  ctx: AppContext,
  session: RequestHandler,
  manager: RequestHandler,
): void {
  const publisher = eventPublisher(ctx);
  // Per user and per guild, after the checks that name them; one pair shared by every write route.
  const limits = writeLimits(ctx.config);
  const { revisionsKept } = ctx.config.retention;

  // The hottest write: its statement checks the session and the caller's rights itself (one query
  // fewer per change); any failure runs the full checks first, so the answers are the same.
  const tokenOnly = requireTokenForGuildWrite(ctx);
  const patchSettings: RequestHandler = async (req, res) => {
    const body = parse(patchGuildBody, req.body, 'body');
    const { userId, sessionId } = authOf(res);
    const write = () =>
      updateGuildSettings(ctx.pool, publisher, {
        guildId: guildIdOf(res),
        patch: body.settings,
        expectedVersion: body.version,
        changedBy: userId,
        revisionsKept,
        authorizedBy: { sessionId, userId },
      });
    const result = await write().catch(async (err: unknown) => {
      if (!(err instanceof PreconditionFailedError)) throw err;
      // Refused: the checks say why (401, 403, 404); if they pass, the rights came back since.
      await verifyAccess(ctx, req, res);
      return write();
    });
    res.json({
      guildId: guildIdOf(res),
      settings: result.settings,
      version: result.version,
    } satisfies SettingsUpdateResult);
  };
  router.patch('/guilds/:id', tokenOnly, ...limits, patchSettings, verifyAccessOnError(ctx));

  router.patch('/guilds/:id/modules/:name', session, manager, ...limits, async (req, res) => {
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
      revisionsKept,
    });
    res.json({
      guildId: guildIdOf(res),
      module: name,
      enabled: result.module.enabled,
      config: result.module.config,
      version: result.version,
    } satisfies ModuleUpdateResult);
  });

  router.post('/guilds/:id/sync', session, manager, ...limits, async (req, res) => {
    const body = parse(syncBody, req.body ?? {}, 'body');
    const { published } = await requestGuildReload(ctx.pool, publisher, {
      guildId: guildIdOf(res),
      reason: body.reason ?? `Manual sync by ${authOf(res).userId}`,
    });
    res.status(202).json({ ok: true, published } satisfies SyncResult);
  });

  router.post('/guilds/:id/revisions/:rev/restore', session, manager, ...limits, async (req, res) => {
    const { rev } = parse(revisionParams, { rev: req.params['rev'] }, 'params');
    const body = parse(restoreBody, req.body ?? {}, 'body');
    const result = await restoreRevision(ctx.pool, publisher, {
      guildId: guildIdOf(res),
      revision: rev,
      expectedVersion: body.version,
      changedBy: authOf(res).userId,
      revisionsKept,
    });
    res.json({
      guildId: guildIdOf(res),
      restored: result.restored,
      settings: result.settings,
      modules: result.modules,
      version: result.version,
    } satisfies RestoreResult);
  });
}
