import type { GuildMember } from 'discord.js';
import type { BotContext } from '../context.js';
import { guildConfig, moduleEnabled, moduleSetting } from '../guild_config.js';

const DEFAULT_MESSAGE = 'Welcome to {guild}, {user}!';

/**
 * Welcome module: greets a new member in the welcome channel (the module's `channelId`, else the
 * guild's system channel, else a channel named `welcome`) when the module is enabled. The text is
 * the module's `message` with `{user}` and `{guild}` filled in.
 */
export async function greetMember(ctx: BotContext, member: GuildMember): Promise<void> {
  const { guild } = member;
  const config = await guildConfig(ctx, guild.id);
  if (!moduleEnabled(config, 'welcome')) return;
  const channelId =
    moduleSetting(config, 'welcome', 'channelId') ??
    guild.systemChannelId ??
    guild.channels.cache.find((c) => c.name === 'welcome')?.id ??
    null;
  const channel = channelId === null ? undefined : guild.channels.cache.get(channelId);
  if (!channel?.isTextBased()) {
    ctx.logger.warn({ guildId: guild.id, channelId }, `No welcome channel in guild ${guild.id}`);
    return;
  }
  const text = (moduleSetting(config, 'welcome', 'message') ?? DEFAULT_MESSAGE)
    .replaceAll('{user}', `<@${member.id}>`)
    .replaceAll('{guild}', guild.name);
  await channel.send({ content: text, allowedMentions: { users: [member.id] } });
}
