/**
 * One module's state in a {@link GuildConfig}.
 *
 * @example
 * ```ts
 * const welcome: GuildModuleConfig = { enabled: true, config: { channelId: '987' } };
 * ```
 */
export interface GuildModuleConfig {
  /** Whether the module runs in this guild. */
  enabled: boolean;
  /** Module settings. */
  config?: Record<string, unknown>;
}

/**
 * A guild's configuration as `GuildConfigCache` holds it: what your `load` returns.
 * `version` is the guild's monotonic version (`guilds.version`), the same number the
 * `config:update` and `module:toggle` events carry: bump it on every settings or module change.
 *
 * @example
 * ```ts
 * const cfg: GuildConfig = { settings: { prefix: '!' }, modules: { moderation: { enabled: true } }, version: 7 };
 * ```
 */
export interface GuildConfig {
  settings: Record<string, unknown>;
  modules: Record<string, GuildModuleConfig>;
  version: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the shape of a value read back from the L2 cache (anything else is treated as corrupted).
 *
 * @example
 * ```ts
 * isGuildConfig(JSON.parse(raw)); // false for '{"settings":1}'
 * ```
 */
export function isGuildConfig(value: unknown): value is GuildConfig {
  return (
    isRecord(value) &&
    isRecord(value['settings']) &&
    isRecord(value['modules']) &&
    Number.isSafeInteger(value['version']) &&
    (value['version'] as number) >= 0
  );
}
