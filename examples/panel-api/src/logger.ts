import pino from 'pino';

/**
 * The logging surface the API uses: pino's, reduced to what the SDK and the routes call, so a
 * test can pass a recording logger.
 */
export interface AppLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): AppLogger;
}

/**
 * The process logger: structured JSON on stdout at `level`.
 *
 * Written synchronously: one `write` per line on this thread. pino's default (asynchronous) hands
 * each line to libuv's thread pool, which at a line per event costs more CPU than the write itself
 * (measured in the bot: about 0.15 ms of CPU per config update for its two lines), and loses the
 * last lines if the process dies. Like `console.log` to a pipe, a log reader that stops reading
 * makes the writes wait.
 */
export function createLogger(level: string): AppLogger {
  return pino({ level, base: { app: 'panel-api' } }, pino.destination({ dest: 1, sync: true }));
}
