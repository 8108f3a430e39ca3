/**
 * Where the emulator writes what it does. Pass `consoleLogger()` to see requests and gateway traffic.
 *
 * @example
 * ```ts
 * import type { EmulatorLogger } from '@wolaro/discord-emulator';
 * const logger: EmulatorLogger = { debug() {}, info: console.log, warn: console.warn, error: console.error };
 * ```
 */
export interface EmulatorLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * A logger that drops everything (the default, so tests stay quiet).
 *
 * @example
 * ```ts
 * import { silentLogger, startEmulator } from '@wolaro/discord-emulator';
 * const emulator = await startEmulator({ logger: silentLogger });
 * ```
 */
export const silentLogger: EmulatorLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * A logger writing to the console with a prefix; `debug` lines only when `verbose` is true.
 *
 * @example
 * ```ts
 * import { consoleLogger, startEmulator } from '@wolaro/discord-emulator';
 * const emulator = await startEmulator({ logger: consoleLogger({ verbose: true }) });
 * ```
 */
export function consoleLogger(options: { prefix?: string; verbose?: boolean } = {}): EmulatorLogger {
  const prefix = options.prefix ?? '[discord-emulator]';
  return {
    debug(message) {
      if (options.verbose) console.debug(`${prefix} ${message}`);
    },
    info(message) {
      console.info(`${prefix} ${message}`);
    },
    warn(message) {
      console.warn(`${prefix} ${message}`);
    },
    error(message, error) {
      if (error === undefined) console.error(`${prefix} ${message}`);
      else console.error(`${prefix} ${message}`, error);
    },
  };
}
