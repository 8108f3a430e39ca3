/**
 * The logging surface the SDK needs: a subset of pino's, so a pino logger (or `console`-like
 * adapter) can be passed as is. Silent by default.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const sync = new SyncClient({ redis: process.env.REDIS_URL, logger: pino() });
 * ```
 */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

const noop = (): void => {};

/**
 * A logger that drops everything: the default of every component.
 *
 * @example
 * ```ts
 * new SyncClient({ transport, logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
