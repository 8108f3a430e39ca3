import {
  ConfigError,
  checkSharedEnv,
  intIn,
  isUnset,
  type LogLevel,
  optional,
  parseEnvProblems,
  plainHttpProblem,
  type SharedConfig,
  sharedConfig,
  sharedEnv,
  urlOf,
} from '@wolaro/app-runtime';
import { z } from 'zod';

export { ConfigError, DEFAULT_DATA_DIR } from '@wolaro/app-runtime';

/**
 * Everything the bot reads from its environment, parsed once at start-up by {@link loadConfig}.
 * The variables it shares with the panel API (database, Redis, logging) are {@link SharedConfig}.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env, { standalone: true });
 * const bot = await startBot(config);
 * ```
 */
export interface BotConfig extends SharedConfig {
  /** `DISCORD_TOKEN`: the bot token. Required unless an emulator is injected (`startBot(config, { emulator })`). */
  discordToken: string | undefined;
  /** `DISCORD_API_URL`: REST base given to discord.js as `rest.api` (the emulator's `apiUrl` in development). */
  discordApiUrl: string | undefined;
  /** `SHARD_ID`: the shard this process runs (discord.js `shards`); absent → discord.js decides. */
  shardId: number | undefined;
  /** `SHARD_COUNT`: total shards (discord.js `shardCount`). */
  shardCount: number | undefined;
  /**
   * `COMMAND_EVENTS_PER_SECOND` (20): most `command:executed` events per guild and second. Runs
   * past it are still recorded in the audit log; the latest of them is announced when the second
   * ends (one event for the flood).
   */
  commandEventsPerSecond?: number | undefined;
  /**
   * `COMMAND_REPLY_WAIT_MS` (2000, at most 2500): how long a command's answer waits for its audit
   * row to commit. Past it the user is answered anyway (Discord wants an interaction answered
   * within 3 s) and the row keeps being retried.
   */
  commandReplyWaitMs?: number | undefined;
  /**
   * `DATABASE_POOL_MAX` (20): connections in the bot's Postgres pool (config reloads, command
   * records, member writes and the outbox relay share it).
   */
  databasePoolMax?: number | undefined;
}

const envSchema = z
  .object({
    ...sharedEnv,
    DISCORD_TOKEN: optional,
    DISCORD_API_URL: urlOf(['http:', 'https:'], 'an http(s) URL, e.g. http://127.0.0.1:3001/api'),
    SHARD_ID: intIn(0, 65_535, undefined),
    SHARD_COUNT: intIn(1, 65_536, undefined),
    COMMAND_EVENTS_PER_SECOND: intIn(1, 100_000, 20),
    COMMAND_REPLY_WAIT_MS: intIn(0, 2500, 2000),
    DATABASE_POOL_MAX: intIn(2, 500, 20),
  })
  .superRefine((e, ctx) => {
    checkSharedEnv(e, ctx);
    if (e.SHARD_ID === undefined) return;
    if (e.SHARD_COUNT === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SHARD_COUNT'], message: 'required when SHARD_ID is set' });
    } else if (e.SHARD_ID >= e.SHARD_COUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['SHARD_ID'],
        message: `must be below SHARD_COUNT (${e.SHARD_COUNT}), got ${e.SHARD_ID}`,
      });
    }
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
  const { data, problems } = parseEnvProblems(envSchema, env, 'bot');
  if (options.standalone) {
    if (isUnset(env, 'DISCORD_TOKEN')) problems.push('DISCORD_TOKEN: required (the bot token)');
    if (isUnset(env, 'REDIS_URL') && isUnset(env, 'REDIS_CLUSTER_NODES') && isUnset(env, 'REDIS_SENTINELS')) {
      problems.push(
        'REDIS_URL: required when the bot runs in its own process (without it the bot cannot hear the panel API; or REDIS_CLUSTER_NODES, or REDIS_SENTINELS + REDIS_SENTINEL_NAME)',
      );
    }
  }
  if (env['NODE_ENV'] === 'production') {
    // The bot token travels to DISCORD_API_URL with every request.
    const problem = plainHttpProblem('DISCORD_API_URL', data?.DISCORD_API_URL);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0 || !data) throw new ConfigError(problems, 'bot');
  return {
    ...sharedConfig(data),
    discordToken: data.DISCORD_TOKEN,
    discordApiUrl: data.DISCORD_API_URL,
    shardId: data.SHARD_ID,
    shardCount: data.SHARD_COUNT,
    commandEventsPerSecond: data.COMMAND_EVENTS_PER_SECOND,
    commandReplyWaitMs: data.COMMAND_REPLY_WAIT_MS,
    databasePoolMax: data.DATABASE_POOL_MAX,
  };
}

/**
 * What the sharded launcher (`src/sharded.ts`) reads: how many shard processes to run, and what it
 * needs to ask Discord for the recommended count. Every other variable goes to the shard processes
 * as it is (each reads it with {@link loadConfig}).
 *
 * @example
 * ```ts
 * const launcher = loadLauncherConfig({ DISCORD_TOKEN: 'token', BOT_SHARDS: '4' });
 * launcher.shards; // 4
 * ```
 */
export interface LauncherConfig {
  /** `BOT_SHARDS`: a number of shard processes, or `auto` (what Discord's `GET /gateway/bot` recommends). Default `auto`. */
  shards: number | 'auto';
  /** `BOT_SHARD_SPAWN_DELAY_MS`: pause between two shard starts (Discord allows one IDENTIFY per 5 s). Default 5500. */
  spawnDelayMs: number;
  /** `DISCORD_TOKEN`. */
  discordToken: string;
  /** `DISCORD_API_URL`: where `auto` asks (the emulator's `apiUrl` in development). */
  discordApiUrl: string | undefined;
  /** `LOG_LEVEL` of the launcher's own lines. */
  logLevel: LogLevel;
}

const launcherSchema = z.object({
  BOT_SHARDS: optional.transform((v, ctx): number | 'auto' => {
    if (v === undefined || v === 'auto') return 'auto';
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= 65_536) return n;
    ctx.addIssue({ code: 'custom', message: `must be auto or an integer between 1 and 65536, got "${v}"` });
    return z.NEVER;
  }),
  BOT_SHARD_SPAWN_DELAY_MS: intIn(0, 600_000, 5500),
  DISCORD_TOKEN: optional,
  DISCORD_API_URL: urlOf(['http:', 'https:'], 'an http(s) URL, e.g. http://127.0.0.1:3001/api'),
  LOG_LEVEL: sharedEnv.LOG_LEVEL,
});

/**
 * Parses the sharded launcher's environment; every problem is reported in one {@link ConfigError}.
 * `SHARD_ID` is refused: the launcher gives each process its shard.
 *
 * @example
 * ```ts
 * const launcher = loadLauncherConfig(process.env);
 * ```
 */
export function loadLauncherConfig(env: NodeJS.ProcessEnv): LauncherConfig {
  const { data, problems } = parseEnvProblems(launcherSchema, env, 'bot launcher');
  if (!isUnset(env, 'SHARD_ID')) {
    problems.push('SHARD_ID: not with the sharded launcher, which gives each process its shard (unset it)');
  }
  if (isUnset(env, 'DISCORD_TOKEN')) problems.push('DISCORD_TOKEN: required (the bot token)');
  if (problems.length > 0 || !data || data.DISCORD_TOKEN === undefined) {
    throw new ConfigError(problems, 'bot launcher');
  }
  return {
    shards: data.BOT_SHARDS,
    spawnDelayMs: data.BOT_SHARD_SPAWN_DELAY_MS,
    discordToken: data.DISCORD_TOKEN,
    discordApiUrl: data.DISCORD_API_URL,
    logLevel: data.LOG_LEVEL,
  };
}
