import { z } from 'zod';
import { version } from './common.js';

/**
 * Every `error.code` the API sends.
 *
 * @example
 * ```ts
 * if (body.error.code === 'version_conflict') reload();
 * ```
 */
export const API_ERROR_CODES = [
  'bad_request',
  'invalid_body',
  'invalid_json',
  'invalid_state',
  'oauth_denied',
  'unauthorized',
  'token_expired',
  'session_revoked',
  'forbidden',
  'not_found',
  'guild_not_found',
  'version_conflict',
  'payload_too_large',
  'rate_limited',
  'discord_error',
  'discord_unavailable',
  'database_unavailable',
  'database_busy',
  'request_timeout',
  'internal',
] as const;

/**
 * One of {@link API_ERROR_CODES}.
 *
 * @example
 * ```ts
 * const code: ApiErrorCode = 'forbidden';
 * ```
 */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Every error answer: `{ "error": { "code", "message", ...details } }`. Known details are typed:
 * `fields` (400: the request fields at fault, e.g. `body.settings.prefix`), `currentVersion` and
 * `expectedVersion` (409). Other details pass through.
 *
 * @example
 * ```ts
 * const parsed = apiErrorBody.safeParse(await res.json());
 * if (parsed.success && parsed.data.error.code === 'version_conflict') reload(parsed.data.error.currentVersion);
 * ```
 */
export const apiErrorBody = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.string()).optional(),
    currentVersion: version.optional(),
    expectedVersion: version.optional(),
  }),
});

/**
 * An error answer (see {@link apiErrorBody}).
 *
 * @example
 * ```ts
 * const body: ApiErrorBody = { error: { code: 'not_found', message: 'Not found' } };
 * ```
 */
export type ApiErrorBody = z.infer<typeof apiErrorBody>;
