import type { RequestHandler, Response } from 'express';
import type { AppLogger } from '../logger.js';
import { answerEarly, DATABASE_RETRY_AFTER_SECONDS } from './error_handler.js';
import { ApiError } from './errors.js';

/** Requests shed while the database hangs, and how the API learns that it does. */
export interface StallShedding {
  /** Answers 503 at once while the database is stalled; tracks the requests it lets through. */
  readonly middleware: RequestHandler;
  /** Told by the stall guard: `true` answers every request still waiting, then sheds new ones. */
  setStalled(stalled: boolean): void;
}

const stalledError = () =>
  new ApiError(
    503,
    'database_unavailable',
    'The database is unavailable',
    {},
    { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS.busy },
  );

/**
 * Load shedding for a database that stops answering: without it, each request waits out its
 * timeouts holding a connection of the caller (a load balancer's, a browser's), and the requests
 * behind it pile up until long after the database is back. While stalled, every request that
 * reached the routes is answered `503 database_unavailable` (`Retry-After: 1`) at once, and so is
 * each new one; the handlers still waiting go on, and their late answers are dropped (a write so
 * answered may still commit: the caller reloads before retrying, as after `request_timeout`).
 */
export function stallShedding(logger: AppLogger): StallShedding {
  const waiting = new Set<Response>();
  let stalled = false;
  let shed = 0;
  return {
    middleware: (_req, res, next) => {
      if (stalled) {
        shed++;
        answerEarly(res, stalledError());
        return;
      }
      waiting.add(res);
      const done = () => waiting.delete(res);
      res.once('finish', done);
      res.once('close', done);
      next();
    },
    setStalled(next) {
      if (next === stalled) return;
      stalled = next;
      if (next) {
        logger.warn(
          { waiting: waiting.size },
          `Database not answering: ${waiting.size} waiting requests and every new one get 503 until it does`,
        );
        for (const res of waiting) answerEarly(res, stalledError());
        waiting.clear();
      } else {
        logger.info({ shed }, `Database answering again after ${shed} requests were shed`);
        shed = 0;
      }
    },
  };
}
