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
): RateLimitRequestHandler {
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(key ? { keyGenerator: (_req, res) => key(res) } : {}),
    handler: (_req, _res, next) => next(rateLimited(message)),
  });
}

/**
 * The write limits of the guild routes: per user (what one admin may do across guilds) and per
 * guild (what all the admins of one guild may do together). Each write costs a revision, an outbox
 * row, an event, a socket fan-out and a bot reload, so these are far below the per-IP limit.
 * Mount after `requireSession` and `requireGuildManager`, which set the user and the guild.
 */
export function writeLimits(config: PanelApiConfig): RateLimitRequestHandler[] {
  const { windowMs, perUser, perGuild } = config.writeRateLimit;
  return [
    limiter(
      windowMs,
      perUser,
      'Too many configuration changes from you: retry later',
      (res) => `user:${(res.locals['auth'] as { userId: string }).userId}`,
    ),
    limiter(
      windowMs,
      perGuild,
      'Too many configuration changes for this server: retry later',
      (res) => `guild:${res.locals['guildId'] as string}`,
    ),
  ];
}
