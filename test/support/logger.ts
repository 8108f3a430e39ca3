import { format } from 'node:util';

/** Log levels of a pino-compatible logger, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One recorded log call. */
export interface LogEntry {
  /** Level of the call. */
  level: LogLevel;
  /** The message (printf-style arguments already applied, `''` when there was none). */
  msg: string;
  /** The merging object passed first (an `Error` becomes `{ err }`), `undefined` for message-only calls. */
  obj: Record<string, unknown> | undefined;
  /** `Date.now()` at the call. */
  time: number;
}

/** A pino-style log method: `log(obj, msg?, ...args)` or `log(msg, ...args)`. */
export type LogFn = (objOrMsg: unknown, msg?: unknown, ...args: unknown[]) => void;

/**
 * Selects entries in {@link CaptureLogger.has} / {@link CaptureLogger.count}: a substring of the message,
 * a regular expression tested against the message, or a predicate on the whole entry.
 */
export type MessageMatcher = string | RegExp | ((entry: LogEntry) => boolean);

/** A pino-compatible logger that records every call; see {@link captureLogger}. */
export interface CaptureLogger {
  /** Always `'trace'`: everything is recorded. */
  level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** Returns this same logger (bindings are ignored) so child loggers record into the same list. */
  child(bindings?: Record<string, unknown>, options?: unknown): CaptureLogger;
  /** Always `true`. */
  isLevelEnabled(level: string): boolean;
  /** Recorded entries, oldest first (live array; do not mutate). */
  readonly entries: readonly LogEntry[];
  /** Recorded entries formatted as `"<level>: <msg>"`, optionally only those of one level. */
  lines(level?: LogLevel): string[];
  /**
   * `true` if some entry matches: its message contains `msg` (string), matches it (RegExp), or the
   * predicate returns `true`; optionally only entries at `level`.
   */
  has(msg: MessageMatcher, level?: LogLevel): boolean;
  /** How many entries match `msg` (see {@link CaptureLogger.has}), optionally only at `level`. */
  count(msg: MessageMatcher, level?: LogLevel): number;
  /** Forget every recorded entry. */
  clear(): void;
}

/**
 * Creates a pino-compatible logger that records `{ level, msg, obj }` for each call instead of printing,
 * so tests can assert on what the SDK logged. Pass it wherever a pino `logger` option is accepted.
 *
 * Call forms follow pino: `log('msg %s', arg)`, `log({ key }, 'msg %d', n)`, `log(err, 'msg')`
 * (an `Error` first argument is recorded as `obj: { err }`).
 *
 * @example
 * ```ts
 * const logger = captureLogger();
 * const cache = createCache({ redisUrl: proxy.url('redis'), logger });
 * proxy.setMode('reset');
 * await waitFor(() => logger.has('Redis down, using memory cache', 'warn'));
 * ```
 * @returns a fresh, empty recorder
 */
export function captureLogger(): CaptureLogger {
  const entries: LogEntry[] = [];
  const matches = (entry: LogEntry, msg: MessageMatcher, level: LogLevel | undefined) =>
    (level === undefined || entry.level === level) &&
    (typeof msg === 'string'
      ? entry.msg.includes(msg)
      : msg instanceof RegExp
        ? new RegExp(msg.source, msg.flags.replace(/[gy]/g, '')).test(entry.msg)
        : msg(entry));

  const method =
    (level: LogLevel): LogFn =>
    (first, ...rest) => {
      let obj: Record<string, unknown> | undefined;
      let args = rest;
      let template: unknown;
      if (typeof first === 'string') {
        template = first;
      } else {
        if (first instanceof Error) obj = { err: first };
        else if (first !== null && typeof first === 'object') obj = first as Record<string, unknown>;
        else if (first !== undefined) obj = { value: first };
        template = rest[0];
        args = rest.slice(1);
        // pino uses err.message as the message when an Error comes without one
        if (template === undefined && first instanceof Error) template = first.message;
      }
      const msg =
        template === undefined ? '' : args.length > 0 ? format(String(template), ...args) : String(template);
      entries.push({ level, msg, obj, time: Date.now() });
    };

  const logger: CaptureLogger = {
    level: 'trace',
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    child: () => logger,
    isLevelEnabled: () => true,
    entries,
    lines: (level) =>
      entries.filter((e) => level === undefined || e.level === level).map((e) => `${e.level}: ${e.msg}`),
    has: (msg, level) => entries.some((e) => matches(e, msg, level)),
    count: (msg, level) => entries.filter((e) => matches(e, msg, level)).length,
    clear: () => {
      entries.length = 0;
    },
  };
  return logger;
}
