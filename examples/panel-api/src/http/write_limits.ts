import { type RateLimitRequestHandler, rateLimit } from 'express-rate-limit';
import type { PanelApiConfig } from '../config.js';
import { ApiError } from './errors.js';

/** The 429 every limiter answers, in the API's error shape (`Retry-After` is set by the limiter). */
export function rateLimited(message: string): ApiError {
  return new ApiError(429, 'rate_limited', message);
}

/**
 * One limiter of `limit` requests per `windowMs`, keyed by `key` (the client address when absent),
 * in memory per node: past it, 429 `rate_limited` with `Retry-After` and the `RateLimit` headers.
 */
export function limiter(
  windowMs: number,
  limit: number,
  message: string,
  key?: (res: Parameters<RateLimitRequestHandler>[1]) => string,
  uncounted?: (status: number) => boolean,
): RateLimitRequestHandler {
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(key ? { keyGenerator: (_req, res) => key(res) } : {}),
    ...(uncounted
      ? { skipFailedRequests: true, requestWasSuccessful: (_req, res) => !uncounted(res.statusCode) }
      : {}),
    handler: (_req, _res, next) => next(rateLimited(message)),
  });
}

/** The answers of the access checks. */
const refusedAccess = (status: number) => status === 401 || status === 403 || status === 404;

/**
 * The write limits of the guild routes: per user (what one admin may do across guilds) and per
 * guild (what all the admins of one guild may do together). Each write costs a revision, an outbox
 * row, an event, a socket fan-out and a bot reload, so these are far below the per-IP limit.
 * Mount after `requireSession` and `requireGuildManager`, or after `requireTokenForGuildWrite`,
 * which set the user and the guild. A request refused by the access checks (401, 403, 404) is not
 * counted once answered: the settings write checks access in its own statement, after these
 * limits, and a caller without rights on a guild must not use up the writes of its admins.
 */
export function writeLimits(config: PanelApiConfig): RateLimitRequestHandler[] {
  const { windowMs, perUser, perGuild } = config.writeRateLimit;
  return [
    limiter(
      windowMs,
      perUser,
      'Too many configuration changes from you: retry later',
      (res) => `user:${(res.locals['auth'] as { userId: string }).userId}`,
      refusedAccess,
    ),
    limiter(
      windowMs,
      perGuild,
      'Too many configuration changes for this server: retry later',
      (res) => `guild:${res.locals['guildId'] as string}`,
      refusedAccess,
    ),
  ];
}
