/**
 * The environment variables both apps read, parsed the same way, and the one error that reports
 * every bad variable at once.
 */
import { z } from 'zod';

/** Where the embedded database lives when `DATABASE_URL` is absent (the bot and the API share it). */
export const DEFAULT_DATA_DIR = '.wolaro/pgdata';

/** Levels `LOG_LEVEL` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A `LOG_LEVEL` value. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A bad environment: one line per variable, each naming it and saying what it must be, in
 * `problems` and in the message.
 *
 * @example
 * ```ts
 * throw new ConfigError(['REDIS_URL: must be a redis:// or rediss:// URL'], 'bot');
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    readonly app = 'app',
  ) {
    super(`Invalid ${app} configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A trimmed variable; empty means unset. */
export const optional = z
  .string()
  .transform((v) => v.trim())
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A URL whose scheme is one of `protocols`. */
export const urlOf = (protocols: readonly string[], what: string) =>
  optional.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be ${what}` },
  );

/** An integer in `[min, max]`, `fallback` when unset. */
export const intIn = <F extends number | undefined>(min: number, max: number, fallback: F) =>
  optional.transform((v, ctx): number | F => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

/** `true`/`false` (also 1/0, yes/no, on/off), `fallback` when unset. */
export const bool = (fallback: boolean) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
    return z.NEVER;
  });

/** The variables both apps read, with their defaults. */
export const sharedEnv = {
  DATABASE_URL: urlOf(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// connection string'),
  PGLITE_DATA_DIR: optional.transform((v) => v ?? DEFAULT_DATA_DIR),
  REDIS_URL: urlOf(['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
  REDIS_KEY_PREFIX: optional
    .transform((v) => v ?? '')
    .refine((v) => /^[A-Za-z0-9_:.-]{0,64}$/.test(v), {
      message: 'must be at most 64 characters of A-Z a-z 0-9 _ : . -',
    }),
  PG_NOTIFY: bool(true),
  LOG_LEVEL: optional.transform((v, ctx): LogLevel => {
    if (v === undefined) return 'info';
    if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
    ctx.addIssue({ code: 'custom', message: `must be one of ${LOG_LEVELS.join(', ')}, got "${v}"` });
    return z.NEVER;
  }),
  REDIS_HEALTH_CHECK_MS: intIn(100, 600_000, 10_000),
  REDIS_CONNECT_TIMEOUT_MS: intIn(100, 600_000, 10_000),
};

/** What {@link sharedEnv} parses to, as both apps' configs hold it. */
export interface SharedConfig {
  /** `DATABASE_URL`; absent → the embedded PGlite database in {@link SharedConfig.dataDir}. */
  databaseUrl: string | undefined;
  /** `PGLITE_DATA_DIR` (`.wolaro/pgdata`): the embedded database, used without `DATABASE_URL`. */
  dataDir: string;
  /** `REDIS_URL`; absent → the in-process bus (only when the bot and the API share the process). */
  redisUrl: string | undefined;
  /** `REDIS_KEY_PREFIX` (''): namespaces cache keys and pub/sub channels on a shared Redis. */
  redisKeyPrefix: string;
  /**
   * `PG_NOTIFY` (true): with `REDIS_URL` and `DATABASE_URL`, also listen (and fail over) on Postgres
   * LISTEN/NOTIFY so pushes continue while Redis is down. Set `false` for a Postgres that does not
   * deliver NOTIFY across connections (PGlite behind a socket, some poolers in transaction mode).
   */
  pgNotify: boolean;
  /** `LOG_LEVEL` (info). */
  logLevel: LogLevel;
  /** `REDIS_HEALTH_CHECK_MS` (10000): how often the cache pings Redis while it is down. */
  redisHealthCheckMs: number;
  /** `REDIS_CONNECT_TIMEOUT_MS` (10000): how long start-up waits for Redis before giving up. */
  redisConnectTimeoutMs: number;
}

/** The shared part of a parsed environment, as {@link SharedConfig}. */
export function sharedConfig(e: z.infer<z.ZodObject<typeof sharedEnv>>): SharedConfig {
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.PGLITE_DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    pgNotify: e.PG_NOTIFY,
    logLevel: e.LOG_LEVEL,
    redisHealthCheckMs: e.REDIS_HEALTH_CHECK_MS,
    redisConnectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
  };
}

/**
 * Parses `env` with `schema`; every bad variable is reported in one {@link ConfigError}.
 *
 * @throws ConfigError
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  app: string,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`),
    app,
  );
}
