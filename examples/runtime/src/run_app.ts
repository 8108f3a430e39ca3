/**
 * The process wrapper of both apps: start, print one line per start-up failure and exit 1, and
 * shut down gracefully on SIGINT/SIGTERM (exit 1 if that takes longer than 10 s).
 */
import type { Logger } from '@wolaro/sync';
import { startupFailureLine } from './startup_error.js';

/** What {@link runApp} needs. */
export interface RunAppOptions<A extends { close(): Promise<void> }> {
  /** The name in the failure lines, e.g. `Panel API`. */
  name: string;
  /** Starts the app; a rejection is printed as one line per problem, then the process exits 1. */
  start: () => Promise<A>;
  /** Where shutdown is logged once started. */
  logger: () => Logger;
  /**
   * How long a graceful shutdown may take before the process exits anyway.
   * @defaultValue 10000
   */
  shutdownTimeoutMs?: number;
}

/**
 * Runs an app as the process's main program.
 *
 * @example
 * ```ts
 * await runApp({ name: 'Bot', start: () => startBot(config, { logger }), logger: () => logger });
 * ```
 */
export async function runApp<A extends { close(): Promise<void> }>(options: RunAppOptions<A>): Promise<A> {
  let app: A;
  try {
    app = await options.start();
  } catch (err) {
    for (const line of startupFailureLine(options.name, err)) console.error(line);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const logger = options.logger();
    logger.info({ signal }, `Received ${signal}, shutting down`);
    const force = setTimeout(() => {
      logger.error(`Shutdown took more than ${(options.shutdownTimeoutMs ?? 10_000) / 1000} s, exiting`);
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 10_000);
    force.unref();
    app.close().then(
      () => {
        logger.info(`${options.name} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return app;
}
