import { prefixOf, stringSetting } from '../guild_config.js';
import type { Command } from './types.js';

/** `{prefix}config` and `/config`: the guild's prefix, language, modules and config version. */
export const config: Command = {
  name: 'config',
  description: "Show this server's bot configuration",
  options: [],
  message: true,
  slash: true,
  async run({ config: cfg, reply }) {
    const modules = Object.entries(cfg.modules)
      .map(([name, state]) => `${name} ${state.enabled ? 'on' : 'off'}`)
      .join(', ');
    const logChannel = stringSetting(cfg, 'logChannelId');
    await reply(
      [
        `Prefix: ${prefixOf(cfg)}`,
        `Language: ${stringSetting(cfg, 'language') ?? 'en'}`,
        `Modules: ${modules || 'none'}`,
        `Log channel: ${logChannel ? `<#${logChannel}>` : 'none'}`,
        `Version: ${cfg.version}`,
      ].join('\n'),
    );
    return undefined;
  },
};
