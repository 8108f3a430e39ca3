/**
 * `@wolaro/bot`: the reference discord.js bot. `startBot(config, deps?)` runs it inside another
 * process (the one-process launcher, tests); `src/main.ts` runs it alone.
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
  type LoadConfigOptions,
  loadConfig,
} from './config.js';
export type { BotContext } from './context.js';
export { EVENTS } from './events/registry.js';
export type { AnyBotEvent, BotEvent } from './events/types.js';
export { type BotLogger, createLogger } from './logger.js';
