/**
 * The environment variables both apps read, parsed the same way, and the one error that reports
 * every bad variable at once.
 */

import { DEFAULT_DATABASE_TIMEOUTS } from '@wolaro/db';
import { MIN_SIGNING_KEY_LENGTH, type SigningKeys } from '@wolaro/sync';
import { z } from 'zod';
import { hostPortList, redisEnvProblems } from './redis_target.js';

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

/** Whether `hostname` (of a parsed URL) is this machine: `localhost`, `127.0.0.0/8` or `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
  );
}

/**
 * The production rule for a URL the app sends secrets to or hands tokens through: `https://`, or
 * `http://` to this machine only (a local proxy or emulator). A problem line naming `name`, or
 * `undefined` when the URL is fine (or unset or unparsable: the schema reports those).
 *
 * @example
 * ```ts
 * plainHttpProblem('DISCORD_API_URL', 'http://discord.example/api'); // 'DISCORD_API_URL: must be https:// ...'
 * ```
 */
export function plainHttpProblem(name: string, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' || isLoopbackHost(parsed.hostname)) return undefined;
  return `${name}: must be https:// when NODE_ENV=production (plain http:// is only allowed to localhost), got "${url}"`;
}

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

/**
 * A comma-separated list (items trimmed, empty ones dropped; `[]` when unset). `problem` returns
 * what is wrong with the items, or `undefined` when they are fine.
 *
 * @example
 * ```ts
 * const ids = commaList((items) => (items.every((i) => /^\d+$/.test(i)) ? undefined : 'must be ids'));
 * ```
 */
export const commaList = (problem: (items: string[]) => string | undefined) =>
  optional.transform((v, ctx) => {
    const items = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const message = problem(items);
    if (message === undefined) return items;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });

const SIGNING_KEY_HINT = `at least ${MIN_SIGNING_KEY_LENGTH} characters, e.g. \`openssl rand -base64 48\``;

/** A bus signing key: at least 32 characters. */
const signingKey = optional.refine((v) => v === undefined || v.length >= MIN_SIGNING_KEY_LENGTH, {
  message: `must be ${SIGNING_KEY_HINT}`,
});

/** The message of a production start without `SYNC_SIGNING_KEY`. */
export const SYNC_SIGNING_KEY_REQUIRED = `required when NODE_ENV=production (the same secret in every bot and API process, ${SIGNING_KEY_HINT}): without it anyone who can publish on Redis or NOTIFY on the database can forge events`;

/** The variables both apps read, with their defaults. */
export const sharedEnv = {
  NODE_ENV: optional.pipe(z.enum(['development', 'production', 'test']).default('development')),
  DATABASE_URL: urlOf(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// connection string'),
  PGLITE_DATA_DIR: optional.transform((v) => v ?? DEFAULT_DATA_DIR),
  REDIS_URL: urlOf(['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
  REDIS_CLUSTER_NODES: hostPortList,
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: optional.refine((v) => v === undefined || /^[A-Za-z0-9._-]{1,100}$/.test(v), {
    message: 'must be the master name the Sentinels monitor (letters, digits, . _ -)',
  }),
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
  SYNC_SIGNING_KEY: signingKey,
  SYNC_SIGNING_KEYS_ACCEPTED: commaList((keys) =>
    keys.some((k) => k.length < MIN_SIGNING_KEY_LENGTH)
      ? `must be comma-separated keys of ${SIGNING_KEY_HINT}`
      : undefined,
  ),
  PG_STATEMENT_TIMEOUT_MS: intIn(0, 3_600_000, DEFAULT_DATABASE_TIMEOUTS.statementTimeoutMs),
  PG_LOCK_TIMEOUT_MS: intIn(0, 3_600_000, DEFAULT_DATABASE_TIMEOUTS.lockTimeoutMs),
  PG_CONNECT_TIMEOUT_MS: intIn(100, 600_000, DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs),
};

/**
 * The checks across shared variables, for an app schema's `superRefine`: production needs
 * `SYNC_SIGNING_KEY`, and accepted keys need a current one.
 *
 * @example
 * ```ts
 * const schema = z.object({ ...sharedEnv, PORT: intIn(0, 65535, 3000) }).superRefine(checkSharedEnv);
 * ```
 */
export function checkSharedEnv(
  e: { NODE_ENV: string; SYNC_SIGNING_KEY?: string | undefined; SYNC_SIGNING_KEYS_ACCEPTED: string[] },
  ctx: z.RefinementCtx,
): void {
  if (e.SYNC_SIGNING_KEY !== undefined) return;
  if (e.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['SYNC_SIGNING_KEY'], message: SYNC_SIGNING_KEY_REQUIRED });
  } else if (e.SYNC_SIGNING_KEYS_ACCEPTED.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['SYNC_SIGNING_KEYS_ACCEPTED'],
      message: 'needs SYNC_SIGNING_KEY (the key this process signs with)',
    });
  }
}

/** What {@link sharedEnv} parses to, as both apps' configs hold it. */
export interface SharedConfig {
  /** `NODE_ENV` (development); `production` makes the secrets mandatory. */
  nodeEnv: 'development' | 'production' | 'test';
  /**
   * `SYNC_SIGNING_KEY` plus `SYNC_SIGNING_KEYS_ACCEPTED` (comma-separated, for a key rotation):
   * every bus message is signed with the key, and unsigned or badly signed ones are dropped.
   * Required in production; absent → the bus is not signed (development, the demo).
   */
  syncSigningKey: SigningKeys | undefined;
  /** `DATABASE_URL`; absent → the embedded PGlite database in {@link SharedConfig.dataDir}. */
  databaseUrl: string | undefined;
  /** `PGLITE_DATA_DIR` (`.wolaro/pgdata`): the embedded database, used without `DATABASE_URL`. */
  dataDir: string;
  /**
   * `REDIS_URL`; absent (and no Cluster or Sentinels) → the in-process bus (only when the bot and
   * the API share the process).
   */
  redisUrl: string | undefined;
  /** `REDIS_CLUSTER_NODES`: startup nodes (`host:port`) of a Redis Cluster, instead of `REDIS_URL`. */
  redisClusterNodes?: readonly string[] | undefined;
  /** `REDIS_SENTINELS`: the Sentinels (`host:port`) of a Redis master, instead of `REDIS_URL`. */
  redisSentinels?: readonly string[] | undefined;
  /** `REDIS_SENTINEL_NAME`: the master name the Sentinels monitor (with `REDIS_SENTINELS`). */
  redisSentinelName?: string | undefined;
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
  /**
   * Time limits of every Postgres connection of the app (a real Postgres; the embedded database
   * has none): `PG_STATEMENT_TIMEOUT_MS` (5000) server-side `statement_timeout`,
   * `PG_LOCK_TIMEOUT_MS` (2000) server-side `lock_timeout`, `PG_CONNECT_TIMEOUT_MS` (5000) how
   * long a query waits for a connection (pool exhausted or server unreachable). `0` turns the
   * first two off. A client-side query timeout of the statement timeout plus 1 s backs them up.
   */
  pgTimeouts: { statementTimeoutMs: number; lockTimeoutMs: number; connectTimeoutMs: number };
}

/** The shared part of a parsed environment, as {@link SharedConfig}. */
export function sharedConfig(e: z.infer<z.ZodObject<typeof sharedEnv>>): SharedConfig {
  return {
    nodeEnv: e.NODE_ENV,
    syncSigningKey:
      e.SYNC_SIGNING_KEY === undefined
        ? undefined
        : { current: e.SYNC_SIGNING_KEY, accept: e.SYNC_SIGNING_KEYS_ACCEPTED },
    databaseUrl: e.DATABASE_URL,
    dataDir: e.PGLITE_DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisSentinels: e.REDIS_SENTINELS,
    redisSentinelName: e.REDIS_SENTINEL_NAME,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    pgNotify: e.PG_NOTIFY,
    logLevel: e.LOG_LEVEL,
    redisHealthCheckMs: e.REDIS_HEALTH_CHECK_MS,
    redisConnectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
    pgTimeouts: {
      statementTimeoutMs: e.PG_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: e.PG_LOCK_TIMEOUT_MS,
      connectTimeoutMs: e.PG_CONNECT_TIMEOUT_MS,
    },
  };
}

/**
 * Parses `env` with `schema`; every bad variable is reported in one {@link ConfigError}, with
 * the Redis variables checked together (at most one of `REDIS_URL`, `REDIS_CLUSTER_NODES`,
 * `REDIS_SENTINELS`; `REDIS_SENTINEL_NAME` with the Sentinels).
 *
 * @throws ConfigError
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  app: string,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  // One Redis, named one way: checked here so every app that reads the shared variables gets it.
  const redis = redisEnvProblems(env);
  if (parsed.success && redis.length === 0) return parsed.data;
  const issues = parsed.success ? [] : parsed.error.issues;
  throw new ConfigError(
    [...issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`), ...redis],
    app,
  );
}

/**
 * {@link parseEnv} for an app that adds checks of its own: the parsed values (`undefined` when the
 * schema refused them) and the problems so far, to report with its own in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * const { data, problems } = parseEnvProblems(schema, env, 'bot');
 * if (isUnset(env, 'DISCORD_TOKEN')) problems.push('DISCORD_TOKEN: required');
 * if (problems.length > 0 || !data) throw new ConfigError(problems, 'bot');
 * ```
 */
export function parseEnvProblems<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  app: string,
): { data: z.infer<S> | undefined; problems: string[] } {
  try {
    return { data: parseEnv(schema, env, app), problems: [] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { data: undefined, problems: [...err.problems] };
  }
}

/** Whether the variable `name` is unset or blank. */
export function isUnset(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  return (env[name] ?? '').trim() === '';
}
