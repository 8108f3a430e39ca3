import { botGuildIds, endSession, syncLoginMemberships } from '@wolaro/db';
import { type RequestHandler, Router } from 'express';
import { authOf, requireSession } from '../auth/middleware.js';
import {
  checkOAuthState,
  createOAuthState,
  nonceOfState,
  readCookie,
  STATE_COOKIE,
  STATE_TTL_SECONDS,
} from '../auth/oauth_state.js';
import { openSession } from '../auth/tokens.js';
import { type AppContext, eventPublisher } from '../context.js';
import type { LogoutResult, Me } from '../contract/index.js';
import { DiscordApiError } from '../discord/api.js';
import { ApiError } from '../http/errors.js';
import { parse } from '../http/validate.js';
import { callbackQuery, loginQuery } from './auth.schemas.js';

const CALLBACK_PATH = '/api/auth/discord/callback';
const COOKIE_PATH = '/api/auth/discord';

/**
 * `/api/auth`: Discord OAuth2 login (state in a signed, httpOnly, short-lived cookie), logout and
 * the current user. A login syncs the user's memberships of the bot's guilds, creates a
 * `panel_sessions` row and hands the JWT to the panel in the URL fragment (never the query
 * string, so it stays out of server logs and `Referer`), with the login nonce the panel's tab
 * sent to `/api/auth/discord?nonce=` (login CSRF: the panel refuses a token without its nonce).
 */
export function authRouter(ctx: AppContext): Router {
  const router = Router();
  const redirectUri = () => `${ctx.publicUrl()}${CALLBACK_PATH}`;
  const secureCookie = () => redirectUri().startsWith('https:');

  router.get('/discord', (req, res) => {
    const { nonce } = parse(loginQuery, req.query, 'query');
    if (!ctx.discord.oauthConfigured) {
      throw new ApiError(
        503,
        'discord_unavailable',
        'DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET are not configured',
      );
    }
    const { state, cookie } = createOAuthState(ctx.config.jwtSecret, nonce);
    res.cookie(STATE_COOKIE, cookie, {
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookie(),
      maxAge: STATE_TTL_SECONDS * 1000,
      path: COOKIE_PATH,
    });
    res.setHeader('cache-control', 'no-store');
    res.redirect(302, ctx.discord.authorizeUrl({ redirectUri: redirectUri(), state }));
  });

  router.get('/discord/callback', oauthCallback(ctx, redirectUri, secureCookie));

  router.post('/logout', requireSession(ctx), async (_req, res) => {
    const { sessionId, userId } = authOf(res);
    // `session:revoked` commits with the logout (outbox): every node disconnects the session's
    // sockets, even if the bus is down right now (the relay sends it when it is back).
    await endSession(ctx.pool, eventPublisher(ctx), sessionId, 'logout');
    ctx.gateway.revokeSession(sessionId);
    ctx.logger.info({ userId, sessionId }, 'Panel logout');
    res.json({ ok: true } satisfies LogoutResult);
  });

  router.get('/me', requireSession(ctx), (_req, res) => {
    const auth = authOf(res);
    res.json({
      user: { id: auth.userId, username: auth.username },
      session: { id: auth.sessionId, expiresAt: auth.expiresAt.toISOString() },
      admin: ctx.config.adminUserIds.includes(auth.userId),
    } satisfies Me);
  });

  return router;
}

/**
 * The OAuth2 callback: checks the state against its cookie, exchanges the code, syncs the user's
 * memberships of the bot's guilds, opens a session and hands its JWT to the panel in the fragment.
 */
function oauthCallback(
  ctx: AppContext,
  redirectUri: () => string,
  secureCookie: () => boolean,
): RequestHandler {
  return async (req, res) => {
    res.setHeader('cache-control', 'no-store');
    const query = parse(callbackQuery, req.query, 'query');
    const cookie = readCookie(req.headers.cookie, STATE_COOKIE);
    res.clearCookie(STATE_COOKIE, {
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookie(),
    });
    if (query.state === undefined)
      throw new ApiError(400, 'invalid_state', 'query.state: missing OAuth2 state');
    if (!checkOAuthState(ctx.config.jwtSecret, cookie, query.state)) {
      throw new ApiError(
        401,
        'invalid_state',
        'OAuth2 state does not match this browser: start the login again',
      );
    }
    if (query.error !== undefined)
      throw new ApiError(401, 'oauth_denied', `Discord login refused: ${query.error}`);
    if (query.code === undefined)
      throw new ApiError(400, 'bad_request', 'query.code: missing authorization code');

    let user: Awaited<ReturnType<typeof ctx.discord.currentUser>>;
    let guilds: Awaited<ReturnType<typeof ctx.discord.currentUserGuilds>>;
    try {
      const accessToken = await ctx.discord.exchangeCode(query.code, redirectUri());
      [user, guilds] = await Promise.all([
        ctx.discord.currentUser(accessToken),
        ctx.discord.currentUserGuilds(accessToken),
      ]);
    } catch (err) {
      if (err instanceof DiscordApiError && err.status >= 400 && err.status < 500) {
        throw new ApiError(
          401,
          'oauth_denied',
          'Discord refused the login code: start the login again',
          {},
          { cause: err },
        );
      }
      throw new ApiError(502, 'discord_error', 'Discord did not answer as expected', {}, { cause: err });
    }
    const present = await botGuildIds(
      ctx.pool,
      guilds.map((g) => g.id),
    );
    // Guilds the user lost since the last login are revoked (and older sessions ended) in the
    // same transaction as the new memberships.
    const synced = await syncLoginMemberships(ctx.pool, eventPublisher(ctx), {
      userId: user.id,
      username: user.username,
      memberships: guilds
        .filter((g) => present.has(g.id))
        .map((g) => ({ guildId: g.id, permissions: g.permissions, isOwner: g.owner === true })),
    });
    if (synced.lostGuilds.length > 0) {
      ctx.logger.info(
        { userId: user.id, lostGuilds: synced.lostGuilds, endedSessions: synced.endedSessions },
        `Login of ${user.username}: access to ${synced.lostGuilds.length} guild(s) revoked, ${synced.endedSessions} older session(s) ended`,
      );
    }
    const { token, session } = await openSession(ctx.pool, ctx.config.jwtSecret, {
      userId: user.id,
      username: user.username,
      ttlSeconds: ctx.config.jwtTtlSeconds,
    });
    ctx.logger.info(
      { userId: user.id, sessionId: session.sessionId, guilds: present.size },
      `Panel login of ${user.username}`,
    );
    // The panel keeps the token only with the nonce its own tab created before the login.
    const fragment = new URLSearchParams({ token });
    const nonce = nonceOfState(query.state);
    if (nonce !== undefined) fragment.set('nonce', nonce);
    res.redirect(302, `${ctx.config.panelOrigin ?? ''}/panel/#${fragment}`);
  };
}
