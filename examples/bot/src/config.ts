import { z } from 'zod';

/** Where the embedded database lives when `DATABASE_URL` is absent (shared with the panel API). */
export const DEFAULT_DATA_DIR = '.wolaro/pgdata';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Everything the bot reads from its environment, parsed once at start-up by {@link loadConfig}.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env, { standalone: true });
 * const bot = await startBot(config);
 * ```
 */
export interface BotConfig {
  /** `DISCORD_TOKEN`: the bot token. Required unless an emulator is injected (`startBot(config, { emulator })`). */
  discordToken: string | undefined;
  /** `DISCORD_API_URL`: REST base given to discord.js as `rest.api` (the emulator's `apiUrl` in development). */
  discordApiUrl: string | undefined;
  /** `DATABASE_URL`; absent → the embedded PGlite database in {@link BotConfig.dataDir}. */
  databaseUrl: string | undefined;
  /** `PGLITE_DATA_DIR` (`.wolaro/pgdata`): the embedded database, used without `DATABASE_URL`. */
  dataDir: string;
  /** `REDIS_URL`; absent → the in-process bus (only valid when bot and API share the process). */
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
  logLevel: (typeof LOG_LEVELS)[number];
  /** `SHARD_ID`: the shard this process runs (discord.js `shards`); absent → discord.js decides. */
  shardId: number | undefined;
  /** `SHARD_COUNT`: total shards (discord.js `shardCount`). */
  shardCount: number | undefined;
  /** `REDIS_HEALTH_CHECK_MS` (10000): how often the cache pings Redis (to reconnect). */
  redisHealthCheckMs: number;
}

/** Thrown by {@link loadConfig}: one line per bad variable, in `problems` and in the message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid bot configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const optional = z
  .string()
  .transform((v) => v.trim())
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (protocols: readonly string[], what: string) =>
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

const intIn = (min: number, max: number) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

const bool = optional.transform((v, ctx) => {
  if (v === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
  return z.NEVER;
});

const envSchema = z.object({
  DISCORD_TOKEN: optional,
  DISCORD_API_URL: url(['http:', 'https:'], 'an http(s) URL, e.g. http://127.0.0.1:3001/api'),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// connection string'),
  PGLITE_DATA_DIR: optional,
  REDIS_URL: url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
  REDIS_KEY_PREFIX: optional.refine((v) => v === undefined || /^[A-Za-z0-9_:.-]{1,64}$/.test(v), {
    message: 'must be 1-64 characters of A-Z a-z 0-9 _ : . -',
  }),
  PG_NOTIFY: bool,
  LOG_LEVEL: optional.refine((v) => v === undefined || (LOG_LEVELS as readonly string[]).includes(v), {
    message: `must be one of ${LOG_LEVELS.join(', ')}`,
  }),
  SHARD_ID: intIn(0, 65_535),
  SHARD_COUNT: intIn(1, 65_536),
  REDIS_HEALTH_CHECK_MS: intIn(100, 600_000),
});

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * The bot runs in its own process (`src/main.ts`): `DISCORD_TOKEN` and `REDIS_URL` are required
   * (without Redis the bot could not hear the API's events).
   * @defaultValue false
   */
  standalone?: boolean;
}

/**
 * Parses the bot's environment once. Every missing or invalid variable is reported, each on its
 * own line, in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * try {
 *   const config = loadConfig(process.env, { standalone: true });
 * } catch (err) {
 *   if (err instanceof ConfigError) console.error(err.message);
 * }
 * ```
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): BotConfig {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const data = parsed.success ? parsed.data : undefined;
  const unset = (name: string) => (env[name] ?? '').trim() === '';
  if (options.standalone) {
    if (unset('DISCORD_TOKEN')) problems.push('DISCORD_TOKEN: required (the bot token)');
    if (unset('REDIS_URL')) {
      problems.push(
        'REDIS_URL: required when the bot runs in its own process (without it the bot cannot hear the panel API)',
      );
    }
  }
  if (data && data.SHARD_ID !== undefined) {
    if (data.SHARD_COUNT === undefined) problems.push('SHARD_COUNT: required when SHARD_ID is set');
    else if (data.SHARD_ID >= data.SHARD_COUNT) {
      problems.push(`SHARD_ID: must be below SHARD_COUNT (${data.SHARD_COUNT}), got ${data.SHARD_ID}`);
    }
  }
  if (problems.length > 0 || !data) throw new ConfigError(problems);
  return {
    discordToken: data.DISCORD_TOKEN,
    discordApiUrl: data.DISCORD_API_URL,
    databaseUrl: data.DATABASE_URL,
    dataDir: data.PGLITE_DATA_DIR ?? DEFAULT_DATA_DIR,
    redisUrl: data.REDIS_URL,
    redisKeyPrefix: data.REDIS_KEY_PREFIX ?? '',
    pgNotify: data.PG_NOTIFY ?? true,
    logLevel: (data.LOG_LEVEL ?? 'info') as BotConfig['logLevel'],
    shardId: data.SHARD_ID,
    shardCount: data.SHARD_COUNT,
    redisHealthCheckMs: data.REDIS_HEALTH_CHECK_MS ?? 10_000,
  };
}
