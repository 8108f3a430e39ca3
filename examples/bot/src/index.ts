/**
 * `@wolaro/bot`: the reference discord.js bot. `startBot(config, deps?)` runs it inside another
 * process (the one-process launcher, tests); `src/main.ts` runs it alone, `src/sharded.ts` as one process per shard.
 *
 * @packageDocumentation
 */
export { type Bot, type BotDeps, startBot } from './bot.js';
export { COMMANDS, findCommand, slashCommandData } from './commands/registry.js';
export type { Command, CommandOption, CommandOutcome, Invocation } from './commands/types.js';
export {
  type BotConfig,
  ConfigError,
  DEFAULT_DATA_DIR,
  type LauncherConfig,
  type LoadConfigOptions,
  loadConfig,
  loadLauncherConfig,
} from './config.js';
export type { BotContext } from './context.js';
export { EVENTS } from './events/registry.js';
export type { AnyBotEvent, BotEvent } from './events/types.js';
export { type BotLogger, createLogger } from './logger.js';
export { type ShardedBot, type ShardedBotOptions, startShardedBot } from './sharding_manager.js';
export type { ShardScope } from './shards.js';
