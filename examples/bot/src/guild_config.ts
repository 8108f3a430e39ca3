import { DEFAULT_SETTINGS, withDefaultModules } from '@wolaro/db';
import type { GuildConfig } from '@wolaro/sync';
import type { BotContext } from './context.js';

/** What a guild unknown to the database (not synced yet) behaves like. */
const FALLBACK: Readonly<GuildConfig> = Object.freeze({
  settings: { ...DEFAULT_SETTINGS },
  modules: withDefaultModules([]),
  version: 0,
});

/**
 * A guild's current config on the hot path: the synchronous L1 `peek`, else `get` (L2, then the
 * database). Called on every message, so the prefix is never older than the last handled
 * `config:update`. When the database cannot answer (and nothing is cached) the defaults are used,
 * so commands keep working.
 */
export async function guildConfig(ctx: BotContext, guildId: string): Promise<Readonly<GuildConfig>> {
  const cached = ctx.configs.peek(guildId);
  if (cached !== undefined) return cached;
  try {
    return (await ctx.configs.get(guildId)) ?? FALLBACK;
  } catch (err) {
    ctx.logger.warn({ err, guildId }, `Could not load the config of guild ${guildId}, using defaults`);
    return FALLBACK;
  }
}

/** The guild's command prefix (`settings.prefix`, `!` when unset). */
export function prefixOf(config: Readonly<GuildConfig>): string {
  const prefix = config.settings['prefix'];
  return typeof prefix === 'string' && prefix.length > 0 ? prefix : DEFAULT_SETTINGS.prefix;
}

/** A string setting, or `null`. */
export function stringSetting(config: Readonly<GuildConfig>, key: string): string | null {
  const value = config.settings[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Whether a module is enabled in the guild. */
export function moduleEnabled(config: Readonly<GuildConfig>, name: string): boolean {
  return config.modules[name]?.enabled === true;
}

/** A module's string setting (`guild_modules.config[key]`), or `null`. */
export function moduleSetting(config: Readonly<GuildConfig>, name: string, key: string): string | null {
  const value = config.modules[name]?.config?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
