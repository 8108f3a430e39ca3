import {
  ConfigError,
  intIn,
  optional,
  parseEnv,
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
}

const envSchema = z
  .object({
    ...sharedEnv,
    DISCORD_TOKEN: optional,
    DISCORD_API_URL: urlOf(['http:', 'https:'], 'an http(s) URL, e.g. http://127.0.0.1:3001/api'),
    SHARD_ID: intIn(0, 65_535, undefined),
    SHARD_COUNT: intIn(1, 65_536, undefined),
  })
  .superRefine((e, ctx) => {
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
  const problems: string[] = [];
  let data: z.infer<typeof envSchema> | undefined;
  try {
    data = parseEnv(envSchema, env, 'bot');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const unset = (name: string) => (env[name] ?? '').trim() === '';
  if (options.standalone) {
    if (unset('DISCORD_TOKEN')) problems.push('DISCORD_TOKEN: required (the bot token)');
    if (unset('REDIS_URL')) {
      problems.push(
        'REDIS_URL: required when the bot runs in its own process (without it the bot cannot hear the panel API)',
      );
    }
  }
  if (problems.length > 0 || !data) throw new ConfigError(problems, 'bot');
  return {
    ...sharedConfig(data),
    discordToken: data.DISCORD_TOKEN,
    discordApiUrl: data.DISCORD_API_URL,
    shardId: data.SHARD_ID,
    shardCount: data.SHARD_COUNT,
  };
}
