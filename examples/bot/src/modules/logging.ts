import type { GuildConfig } from '@wolaro/sync';
import type { Guild } from 'discord.js';
import type { BotContext } from '../context.js';
import { moduleEnabled, moduleSetting, stringSetting } from '../guild_config.js';

/**
 * Logging module: posts a line to the guild's log channel (`settings.logChannelId`, else the
 * module's own `channelId`) when the module is enabled. Failures are logged, never thrown: a
 * missing channel must not break the command that is being logged.
 */
export async function postToLogChannel(
  ctx: BotContext,
  guild: Guild,
  config: Readonly<GuildConfig>,
  line: string,
): Promise<void> {
  if (!moduleEnabled(config, 'logging')) return;
  const channelId = stringSetting(config, 'logChannelId') ?? moduleSetting(config, 'logging', 'channelId');
  if (channelId === null) return;
  const channel = guild.channels.cache.get(channelId);
  if (!channel?.isTextBased()) {
    ctx.logger.warn(
      { guildId: guild.id, channelId },
      `Log channel ${channelId} of guild ${guild.id} not found`,
    );
    return;
  }
  try {
    await channel.send({ content: line, allowedMentions: { parse: [] } });
  } catch (err) {
    ctx.logger.warn(
      { err, guildId: guild.id, channelId },
      `Could not post to the log channel of guild ${guild.id}`,
    );
  }
}
