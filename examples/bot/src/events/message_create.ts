import { Events } from 'discord.js';
import { fromMessage } from '../commands/invocation.js';
import { findCommand } from '../commands/registry.js';
import { guildConfig, prefixOf } from '../guild_config.js';
import { defineEvent } from './types.js';

/**
 * MESSAGE_CREATE: `{prefix}name args` with the guild's prefix as the config cache holds it right
 * now (L1 `peek`, a load only on a miss), so the old prefix stops working as soon as the
 * `config:update` event is handled.
 */
export const messageCreate = defineEvent({
  name: Events.MessageCreate,
  async execute(ctx, message) {
    if (message.author.bot || !message.inGuild()) return;
    const config = await guildConfig(ctx, message.guildId);
    const prefix = prefixOf(config);
    if (!message.content.startsWith(prefix)) return;
    const body = message.content.slice(prefix.length);
    const match = /^(\S+)\s*([\s\S]*)$/.exec(body);
    const command = match?.[1] ? findCommand(match[1].toLowerCase()) : undefined;
    if (!command?.message) return;
    await ctx.dispatch(command, fromMessage(message, config, match?.[2] ?? ''));
  },
});
