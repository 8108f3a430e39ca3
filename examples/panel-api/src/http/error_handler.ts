import { InvalidKeyError, VersionConflictError } from '@wolaro/sync';
import { RowNotFoundError } from '@wolaro/sync/pg';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { AppLogger } from '../logger.js';
import { ApiError } from './errors.js';

/** The string `code` and `message` of a thrown value (`''` for what it lacks). */
function codeAndMessage(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return { code: '', message: '' };
  return {
    code: typeof e.code === 'string' ? e.code : '',
    message: typeof e.message === 'string' ? e.message : '',
  };
}

/** Connection-level database failures: the API answers 503 rather than 500. */
function isDatabaseDown(err: unknown): boolean {
  const { code, message } = codeAndMessage(err);
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      '57P01',
      '57P03',
      '08000',
      '08003',
      '08006',
    ].includes(code) ||
    /Cannot use a pool after calling end|Connection terminated|is not queryable/i.test(message)
  );
}

/**
 * The database is up but could not serve in time: a row lock not granted within `lock_timeout`
 * (55P03), a statement cancelled by `statement_timeout` (57014), the server at `max_connections`
 * (53300, "too many clients"), no pooled connection within the
 * connect timeout, or no answer within the client-side query timeout.
 */
function isDatabaseBusy(err: unknown): boolean {
  const { code, message } = codeAndMessage(err);
  return (
    code === '55P03' ||
    code === '57014' ||
    code === '53300' ||
    /timeout exceeded when trying to connect|Query read timeout|No Postgres connection within/i.test(message)
  );
}

/** Seconds a caller should wait before retrying a 503. */
export const DATABASE_RETRY_AFTER_SECONDS = { busy: 1, down: 5 } as const;

/** Turns anything thrown into an {@link ApiError}. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof VersionConflictError) {
    return new ApiError(
      409,
      'version_conflict',
      'The configuration changed since you loaded it: reload and retry',
      {
        currentVersion: err.currentVersion,
        expectedVersion: err.expectedVersion,
      },
    );
  }
  if (err instanceof RowNotFoundError) return new ApiError(404, 'not_found', 'Not found');
  if (err instanceof InvalidKeyError) return new ApiError(400, 'bad_request', err.message);
  const http = err as { type?: unknown; status?: unknown; expose?: unknown } | null;
  if (http && typeof http === 'object') {
    if (http.type === 'entity.too.large')
      return new ApiError(413, 'payload_too_large', 'Request body is too large');
    if (http.type === 'entity.parse.failed')
      return new ApiError(400, 'invalid_json', 'Request body is not valid JSON');
    if (typeof http.status === 'number' && http.status >= 400 && http.status < 500 && http.expose === true) {
      return new ApiError(http.status, 'bad_request', String((err as Error).message));
    }
  }
  if (isDatabaseBusy(err)) {
    return new ApiError(
      503,
      'database_busy',
      'The database is busy: retry shortly',
      {},
      {
        cause: err,
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS.busy,
      },
    );
  }
  if (isDatabaseDown(err)) {
    return new ApiError(
      503,
      'database_unavailable',
      'The database is unavailable',
      {},
      {
        cause: err,
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS.down,
      },
    );
  }
  return new ApiError(500, 'internal', 'Internal server error', {}, { cause: err });
}

/** The one error middleware: `{ "error": { "code", "message" } }` with the right status. */
export function errorHandler(logger: AppLogger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.locals.answeredEarly === true) {
      // Already answered early (request_timeout, a stalled database); the handler's late answer (or error) goes nowhere.
      logger.debug({ err, url: req.originalUrl }, `${req.method} ${req.path} finished after its deadline`);
      return;
    }
    const error = toApiError(err);
    if (error.status === 503) {
      logger.warn(
        { err: error.cause ?? err, method: req.method, url: req.originalUrl },
        `${req.method} ${req.path}: ${error.message}`,
      );
    } else if (error.status >= 500) {
      logger.error(
        { err: error.cause ?? err, method: req.method, url: req.originalUrl },
        `${req.method} ${req.path} failed`,
      );
    } else {
      logger.debug({ code: error.code, status: error.status, url: req.originalUrl }, error.message);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendApiError(res, error);
  };
}

/** Writes `error` as the API's error answer: its status, `Retry-After` when it has one, the body. */
function sendApiError(res: Response, error: ApiError): void {
  if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(error.retryAfterSeconds));
  res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.details } });
}

/** Seconds a caller should wait before retrying a request that timed out. */
export const REQUEST_TIMEOUT_RETRY_AFTER_SECONDS = 1;

/**
 * Answers `res` now with `error`, before its handler is done: the handler goes on, and what it
 * sends or throws later goes nowhere (the error handler drops it). No-op once `res` has answered.
 */
export function answerEarly(res: Response, error: ApiError): void {
  if (res.headersSent) return;
  res.locals.answeredEarly = true;
  sendApiError(res, error);
}

/**
 * Answers `503 request_timeout` (with `Retry-After`) to a request still unanswered after
 * `timeoutMs`, whatever it waits on (a pooled connection, a hung link to Postgres or Redis). The
 * handler goes on; what it sends later is dropped. A write answered this way may still commit:
 * the caller reloads before retrying (versions make a blind retry fail with 409, not overwrite).
 */
export function requestDeadline(timeoutMs: number, logger: AppLogger): RequestHandler {
  return (req, res, next) => {
    if (!(timeoutMs > 0)) return next();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      logger.warn(
        { method: req.method, url: req.originalUrl, timeoutMs },
        `${req.method} ${req.path}: no answer within ${timeoutMs} ms`,
      );
      answerEarly(
        res,
        new ApiError(
          503,
          'request_timeout',
          'The server could not answer in time: retry shortly',
          {},
          { retryAfterSeconds: REQUEST_TIMEOUT_RETRY_AFTER_SECONDS },
        ),
      );
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}

/** 404 in the same shape for routes that do not exist. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route ${req.method} ${req.path}`));
};
