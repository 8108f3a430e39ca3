import { randomBytes } from 'node:crypto';
import type { EmulatorContext } from '../domain/context.js';
import type { HttpResult } from '../http/http_result.js';
import { json, redirect } from '../http/http_result.js';
import type { RestRequest, RestRoute } from '../rest/rest_types.js';
import type { OAuthTokenRecord } from '../state/records.js';
import { authorizePage, errorPage } from './login_page.js';
import { parseScopes, SUPPORTED_SCOPES } from './scopes.js';

const CODE_TTL_MS = 10 * 60 * 1000;

const oauthError = (status: number, error: string, description?: string): HttpResult =>
  json(status, description === undefined ? { error } : { error, error_description: description });

function redirectUriAllowed(ctx: EmulatorContext, uri: string): boolean {
  const allowed = ctx.state.application().redirect_uris;
  if (allowed.length > 0) return allowed.includes(uri);
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function withParams(uri: string, params: Record<string, string | null>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== null) url.searchParams.set(key, value);
  return url.toString();
}

function roleSummary(ctx: EmulatorContext, userId: string): string {
  const parts: string[] = [];
  for (const guild of ctx.state.guilds()) {
    const member = ctx.state.member(guild.id, userId);
    if (!member) continue;
    if (guild.owner_id === userId) parts.push(`owner of ${guild.name}`);
    const roles = member.roles.flatMap((id) => {
      const role = ctx.state.role(id);
      return role ? [role.name] : [];
    });
    if (roles.length) parts.push(`${roles.join(', ')} in ${guild.name}`);
    else if (guild.owner_id !== userId) parts.push(`member of ${guild.name}`);
  }
  return parts.join(' · ') || 'not in any guild';
}

/**
 * `GET /oauth2/authorize`: auto-approving. Without `user_id` it shows a page listing users to log in as; with
 * `user_id=<id>` it approves at once and redirects to `redirect_uri?code=...&state=...`. `deny=1` redirects with
 * `error=access_denied`.
 */
export const authorize: RestRoute = {
  auth: 'none',
  handler: (ctx, req) => {
    const app = ctx.state.application();
    const q = req.query;
    if (q.get('client_id') !== app.id) return { status: 400, html: errorPage('Unknown client_id.') };
    const redirectUri =
      q.get('redirect_uri') ?? (app.redirect_uris.length === 1 ? app.redirect_uris[0] : undefined);
    if (!redirectUri || !redirectUriAllowed(ctx, redirectUri)) {
      return { status: 400, html: errorPage('Invalid redirect_uri.') };
    }
    const state = q.get('state');
    const scopes = parseScopes(q.get('scope'));
    const fail = (error: string, description: string) =>
      redirect(withParams(redirectUri, { error, error_description: description, state }));
    if ((q.get('response_type') ?? 'code') !== 'code') {
      return fail('unsupported_response_type', 'Only response_type=code is emulated.');
    }
    if (scopes.length === 0 || scopes.some((s) => !SUPPORTED_SCOPES.has(s))) {
      return fail('invalid_scope', 'The requested scope is invalid, unknown, or malformed.');
    }
    if (q.get('deny') === '1')
      return fail('access_denied', 'The resource owner or authorization server denied the request');
    const userId = q.get('user_id');
    if (userId === null) {
      const base = new URL('http://emulator/oauth2/authorize');
      for (const [key, value] of q) base.searchParams.set(key, value);
      const hrefFor = (extra: Record<string, string>) => {
        const url = new URL(base);
        for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
        return `${url.pathname}${url.search}`;
      };
      const choices = ctx.state
        .users()
        .filter((u) => !u.bot)
        .map((user) => ({
          user,
          href: hrefFor({ user_id: user.id }),
          description: roleSummary(ctx, user.id),
        }));
      return { status: 200, html: authorizePage(app.name, scopes, choices, hrefFor({ deny: '1' })) };
    }
    const user = ctx.state.user(userId);
    if (!user || user.bot) return { status: 400, html: errorPage(`Unknown user_id ${userId}.`) };
    const code = randomBytes(20).toString('base64url');
    ctx.state.putOAuthCode({
      code,
      client_id: app.id,
      user_id: user.id,
      scopes,
      redirect_uri: redirectUri,
      expires_at: Date.now() + CODE_TTL_MS,
    });
    ctx.logger.info(`oauth2: authorized ${user.username} (${scopes.join(' ')})`);
    return redirect(withParams(redirectUri, { code, state }));
  },
};

function formOf(req: RestRequest): Record<string, string> {
  const body = req.body;
  if (body.kind === 'form') return body.value;
  if (body.kind === 'json' && body.value && typeof body.value === 'object' && !Array.isArray(body.value)) {
    return Object.fromEntries(
      Object.entries(body.value as Record<string, unknown>).flatMap(([k, v]) =>
        typeof v === 'string' || typeof v === 'number' ? [[k, String(v)]] : [],
      ),
    );
  }
  if (body.kind === 'multipart') return body.fields;
  return {};
}

function clientAuthenticated(ctx: EmulatorContext, req: RestRequest, form: Record<string, string>): boolean {
  const app = ctx.state.application();
  let id = form['client_id'];
  let secret = form['client_secret'];
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  return id === app.id && secret === app.client_secret;
}

function issue(ctx: EmulatorContext, userId: string, scopes: string[], withRefresh: boolean): HttpResult {
  const ttl = ctx.config.accessTokenTtlSeconds;
  const record: OAuthTokenRecord = {
    access_token: randomBytes(24).toString('base64url'),
    refresh_token: randomBytes(24).toString('base64url'),
    client_id: ctx.state.application().id,
    user_id: userId,
    scopes,
    expires_at: Date.now() + ttl * 1000,
  };
  ctx.state.putOAuthToken(record);
  const body: Record<string, unknown> = {
    access_token: record.access_token,
    token_type: 'Bearer',
    expires_in: ttl,
    scope: scopes.join(' '),
  };
  if (withRefresh) body['refresh_token'] = record.refresh_token;
  return json(200, body);
}

/** `POST /oauth2/token`: `authorization_code`, `refresh_token` and `client_credentials` grants. */
export const token: RestRoute = {
  auth: 'none',
  handler: (ctx, req) => {
    if (req.body.kind === 'invalid-json') return oauthError(400, 'invalid_request');
    const form = formOf(req);
    if (!clientAuthenticated(ctx, req, form)) return oauthError(401, 'invalid_client');
    switch (form['grant_type']) {
      case 'authorization_code': {
        const code = ctx.state.oauthCode(form['code'] ?? '');
        if (!code || code.expires_at <= Date.now() || code.client_id !== ctx.state.application().id) {
          return oauthError(400, 'invalid_grant', 'Invalid "code" in request.');
        }
        if (form['redirect_uri'] !== undefined && form['redirect_uri'] !== code.redirect_uri) {
          return oauthError(400, 'invalid_grant', 'Invalid "redirect_uri" in request.');
        }
        ctx.state.deleteOAuthCode(code.code);
        return issue(ctx, code.user_id, code.scopes, true);
      }
      case 'refresh_token': {
        const grant = ctx.state.oauthTokenByRefresh(form['refresh_token'] ?? '');
        if (!grant) return oauthError(400, 'invalid_grant', 'Invalid "refresh_token" in request.');
        ctx.state.deleteOAuthToken(grant.access_token);
        return issue(ctx, grant.user_id, grant.scopes, true);
      }
      case 'client_credentials': {
        const scopes = parseScopes(form['scope'] ?? 'identify');
        if (scopes.some((s) => !SUPPORTED_SCOPES.has(s))) return oauthError(400, 'invalid_scope');
        return issue(ctx, ctx.state.application().owner_id, scopes, false);
      }
      default:
        return oauthError(400, 'unsupported_grant_type');
    }
  },
};

/** `POST /oauth2/token/revoke`. */
export const revoke: RestRoute = {
  auth: 'none',
  handler: (ctx, req) => {
    const form = formOf(req);
    if (!clientAuthenticated(ctx, req, form)) return oauthError(401, 'invalid_client');
    const value = form['token'] ?? '';
    const grant = ctx.state.oauthToken(value) ?? ctx.state.oauthTokenByRefresh(value);
    if (grant) ctx.state.deleteOAuthToken(grant.access_token);
    return json(200, {});
  },
};
