import { InvalidKeyError, VersionConflictError } from '@wolaro/sync';
import { RowNotFoundError } from '@wolaro/sync/pg';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { AppLogger } from '../logger.js';
import { ApiError } from './errors.js';

/** Connection-level database failures: the API answers 503 rather than 500. */
function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
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
    /Cannot use a pool after calling end|Connection terminated|timeout exceeded when trying to connect/i.test(
      message,
    )
  );
}

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
  if (isDatabaseDown(err)) return new ApiError(503, 'database_unavailable', 'The database is unavailable');
  return new ApiError(500, 'internal', 'Internal server error', {}, { cause: err });
}

/** The one error middleware: `{ "error": { "code", "message" } }` with the right status. */
export function errorHandler(logger: AppLogger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toApiError(err);
    if (error.status >= 500) {
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
    res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.details } });
  };
}

/** 404 in the same shape for routes that do not exist. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route ${req.method} ${req.path}`));
};
