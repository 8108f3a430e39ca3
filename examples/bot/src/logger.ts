import type { Logger } from '@wolaro/sync';
import pino from 'pino';

/**
 * The logging surface the bot uses: the SDK's pino-compatible `Logger` plus `child`, so a test can
 * pass a recording logger and the one-process launcher its own pino instance.
 */
export interface BotLogger extends Logger {
  child(bindings: Record<string, unknown>): BotLogger;
}

/**
 * The process logger: structured JSON lines on stdout at `level`.
 *
 * Written synchronously: one `write` per line on this thread. pino's default (asynchronous) hands
 * each line to libuv's thread pool, which at a line per event costs more CPU than the write itself
 * (measured in the bot: about 0.15 ms of CPU per config update for its two lines), and loses the
 * last lines if the process dies. Like `console.log` to a pipe, a log reader that stops reading
 * makes the writes wait.
 */
export function createLogger(level: string): BotLogger {
  return pino({ level, base: { app: 'bot' } }, pino.destination({ dest: 1, sync: true }));
}
