/** Stable error codes of the panel API, sent as `error.code`. */
export type ApiErrorCode =
  | 'bad_request'
  | 'invalid_body'
  | 'invalid_json'
  | 'invalid_state'
  | 'oauth_denied'
  | 'unauthorized'
  | 'token_expired'
  | 'session_revoked'
  | 'forbidden'
  | 'not_found'
  | 'guild_not_found'
  | 'version_conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'discord_error'
  | 'discord_unavailable'
  | 'database_unavailable'
  | 'database_busy'
  | 'request_timeout'
  | 'internal';

/**
 * An error with an HTTP status and a stable code; the error middleware sends it as
 * `{ "error": { "code", "message", ...details } }`.
 *
 * @example
 * ```ts
 * throw new ApiError(403, 'forbidden', 'You cannot manage this guild');
 * ```
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Extra fields merged into the `error` object (e.g. `currentVersion` of a 409). */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** Sent as the `Retry-After` header (a 429 or 503 the caller should retry later). */
  readonly retryAfterSeconds: number | undefined;
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new ApiError(400, 'invalid_body', message, details);
export const unauthorized = (message = 'Authentication required', code: ApiErrorCode = 'unauthorized') =>
  new ApiError(401, code, message);
export const forbidden = (message = 'You cannot manage this guild') =>
  new ApiError(403, 'forbidden', message);
export const notFound = (message = 'Not found', code: ApiErrorCode = 'not_found') =>
  new ApiError(404, code, message);
