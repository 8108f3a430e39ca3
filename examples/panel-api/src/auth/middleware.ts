import { type GuildAccess, getActiveSession, getActiveSessionWithAccess, guildAccess } from '@wolaro/db';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../context.js';
import { ApiError, forbidden, notFound, unauthorized } from '../http/errors.js';
import { verifySessionToken } from './tokens.js';

/** The authenticated caller, set by {@link requireSession}. */
export interface AuthInfo {
  userId: string;
  username: string | null;
  sessionId: string;
  expiresAt: Date;
}

/** The caller set by {@link requireSession} (a route without it is a programming error). */
export function authOf(res: Response): AuthInfo {
  const auth = res.locals['auth'] as AuthInfo | undefined;
  if (!auth) throw new ApiError(500, 'internal', 'Route is missing requireSession');
  return auth;
}

/** The guild id checked by {@link requireGuildManager} (or left to the write by {@link requireTokenForGuildWrite}). */
export function guildIdOf(res: Response): string {
  const id = res.locals['guildId'] as string | undefined;
  if (!id) throw new ApiError(500, 'internal', 'Route is missing requireGuildManager');
  return id;
}

function bearer(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * 401 unless the request carries `Authorization: Bearer <jwt>` with a valid signature and expiry,
 * and its session row exists, belongs to the token's user, is not revoked and has not expired.
 */
export function requireSession(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const token = bearer(req.headers.authorization);
    if (!token) throw unauthorized('Authentication required: send Authorization: Bearer <token>');
    const claims = await verifySessionToken(ctx.config.jwtSecret, token);
    // On a `/guilds/:id` route, the caller's access to that guild comes with the session row (one
    // query instead of two); requireGuildManager uses it.
    const guildId = req.params['id'];
    let session: Awaited<ReturnType<typeof getActiveSession>>;
    if (typeof guildId === 'string') {
      const found = await getActiveSessionWithAccess(ctx.pool, claims.sessionId, guildId);
      session = found?.session ?? null;
      if (found) res.locals['access'] = { guildId, ...found.access } satisfies PrefetchedAccess;
    } else {
      session = await getActiveSession(ctx.pool, claims.sessionId);
    }
    if (!session || session.userId !== claims.userId) {
      throw unauthorized('Session expired or revoked: log in again', 'session_revoked');
    }
    res.locals['auth'] = {
      userId: session.userId,
      username: session.username,
      sessionId: session.sessionId,
      expiresAt: session.expiresAt,
    } satisfies AuthInfo;
    next();
  };
}

const SNOWFLAKE = /^\d{1,20}$/;

/** The session user's access to the route's guild, read by requireSession with the session. */
interface PrefetchedAccess extends GuildAccess {
  guildId: string;
}

/**
 * For `/:id` guild routes, checked server-side from the database, in this order: the caller is
 * the owner or an ADMINISTRATOR of that guild (403 otherwise, also for any guild they are not in:
 * no IDOR), and the guild exists with the bot present (404).
 */
export function requireGuildManager(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const { userId } = authOf(res);
    const guildId = req.params['id'];
    if (typeof guildId !== 'string' || !SNOWFLAKE.test(guildId)) {
      throw new ApiError(400, 'bad_request', 'params.id: must be a Discord guild id (1-20 digits)', {
        fields: ['params.id'],
      });
    }
    const prefetched = res.locals['access'] as PrefetchedAccess | undefined;
    const access =
      prefetched?.guildId === guildId ? prefetched : await guildAccess(ctx.pool, userId, guildId);
    if (!access.canManage) throw forbidden();
    if (!access.exists || !access.botPresent)
      throw notFound('The bot is not in this guild', 'guild_not_found');
    res.locals['guildId'] = guildId;
    next();
  };
}

/**
 * For a guild write whose statement checks the session and the caller's rights itself (its
 * precondition: no query of its own, and nothing can change between the check and the write):
 * checks only the token's signature and expiry and the route's guild id, and sets what
 * {@link requireSession} and {@link requireGuildManager} set. The handler passes
 * `authOf(res)` to the write as `authorizedBy`. Mount {@link verifyAccessOnError} after the
 * handler: whatever the request then fails on (a write limit, the body, the precondition, a
 * version conflict), the full checks run first, so the caller gets the same answer as behind
 * requireSession and requireGuildManager.
 */
export function requireTokenForGuildWrite(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const token = bearer(req.headers.authorization);
    if (!token) throw unauthorized('Authentication required: send Authorization: Bearer <token>');
    const claims = await verifySessionToken(ctx.config.jwtSecret, token);
    const guildId = req.params['id'];
    if (typeof guildId !== 'string' || !SNOWFLAKE.test(guildId)) {
      // The full checks decide between 401 and 400, as for every other guild route.
      await verifyAccess(ctx, req, res);
      throw new ApiError(500, 'internal', 'A guild route without a valid guild id passed its checks');
    }
    res.locals['auth'] = {
      userId: claims.userId,
      username: null,
      sessionId: claims.sessionId,
      expiresAt: new Date(claims.expiresAt),
    } satisfies AuthInfo;
    res.locals['guildId'] = guildId;
    next();
  };
}

/**
 * Runs {@link requireSession} and {@link requireGuildManager} (a query) for a request that
 * {@link requireTokenForGuildWrite} let through: throws their 401, 400, 403 or 404.
 */
export async function verifyAccess(ctx: AppContext, req: Request, res: Response): Promise<void> {
  // Once per request: verifyAccessOnError does not run them again for an error they raised.
  res.locals['accessVerified'] = true;
  const pass = () => {};
  await requireSession(ctx)(req, res, pass);
  await requireGuildManager(ctx)(req, res, pass);
}

/**
 * The error handler of a route behind {@link requireTokenForGuildWrite}: before the request's
 * error is answered, the session and the caller's rights are checked, and their error wins.
 */
export function verifyAccessOnError(ctx: AppContext): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.locals['accessVerified'] === true) return next(err);
    verifyAccess(ctx, req, res).then(
      () => next(err),
      (denied: unknown) => next(denied),
    );
  };
}

/** 403 unless the caller's user id is listed in `ADMIN_USER_IDS`. */
export function requireAdmin(ctx: AppContext): RequestHandler {
  return (_req, res, next) => {
    if (!ctx.config.adminUserIds.includes(authOf(res).userId)) throw forbidden('Administrators only');
    next();
  };
}
