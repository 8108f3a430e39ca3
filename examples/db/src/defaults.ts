/** Settings every guild starts with; stored settings are merged over these on read. */
export const DEFAULT_SETTINGS: Readonly<GuildSettings> = Object.freeze({
  prefix: '!',
  language: 'en',
  logChannelId: null,
});

/** Languages the panel offers. */
export const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'nl', 'pt'] as const;

/** The bot's modules and the state a new guild gets. */
export const DEFAULT_MODULES: Readonly<Record<ModuleName, Readonly<ModuleState>>> = Object.freeze({
  moderation: Object.freeze({ enabled: true, config: Object.freeze({}) }),
  welcome: Object.freeze({ enabled: false, config: Object.freeze({}) }),
  logging: Object.freeze({ enabled: false, config: Object.freeze({}) }),
});

/** Names of the modules, in display order. */
export const MODULE_NAMES = ['moderation', 'welcome', 'logging'] as const;

/** One of {@link MODULE_NAMES}. */
export type ModuleName = (typeof MODULE_NAMES)[number];

/** A guild's settings (`guilds.settings`). */
export interface GuildSettings {
  prefix: string;
  language: (typeof LANGUAGES)[number];
  logChannelId: string | null;
  [key: string]: unknown;
}

/** A module's state in a guild (`guild_modules`). */
export interface ModuleState {
  enabled: boolean;
  config: Record<string, unknown>;
}

/** Whether `name` is one of the bot's modules. */
export function isModuleName(name: string): name is ModuleName {
  return (MODULE_NAMES as readonly string[]).includes(name);
}

/** Stored settings over the defaults (keys added in later versions get their default). */
export function withDefaultSettings(stored: unknown): GuildSettings {
  const value = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
  return { ...DEFAULT_SETTINGS, ...(value as Partial<GuildSettings>) };
}

/** Stored module rows over the defaults: every known module is present. */
export function withDefaultModules(rows: readonly { name: string; enabled: boolean; config: unknown }[]) {
  const modules: Record<string, ModuleState> = {};
  for (const name of MODULE_NAMES) {
    const fallback = DEFAULT_MODULES[name];
    modules[name] = { enabled: fallback.enabled, config: { ...fallback.config } };
  }
  for (const row of rows) {
    // An object or nothing, as `modulesSql` reads it: the writers' copy in the cache matches a load.
    const config =
      row.config !== null && typeof row.config === 'object' && !Array.isArray(row.config)
        ? (row.config as Record<string, unknown>)
        : {};
    modules[row.name] = { enabled: row.enabled, config };
  }
  return modules;
}
