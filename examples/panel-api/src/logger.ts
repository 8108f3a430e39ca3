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

/** The process logger: structured JSON on stdout at `level`. */
export function createLogger(level: string): AppLogger {
  return pino({ level, base: { app: 'panel-api' } });
}
