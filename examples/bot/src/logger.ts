import type { Logger } from '@wolaro/sync';
import pino from 'pino';

/**
 * The logging surface the bot uses: the SDK's pino-compatible `Logger` plus `child`, so a test can
 * pass a recording logger and the one-process launcher its own pino instance.
 */
export interface BotLogger extends Logger {
  child(bindings: Record<string, unknown>): BotLogger;
}

/** The process logger: structured JSON lines on stdout at `level`. */
export function createLogger(level: string): BotLogger {
  return pino({ level, base: { app: 'bot' } });
}
