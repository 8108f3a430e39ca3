import { Events, MessageFlags } from 'discord.js';
import { fromInteraction } from '../commands/invocation.js';
import { findCommand } from '../commands/registry.js';
import { guildConfig } from '../guild_config.js';
import { defineEvent } from './types.js';

/** INTERACTION_CREATE: slash commands, through the same dispatcher as message commands. */
export const interactionCreate = defineEvent({
  name: Events.InteractionCreate,
  async execute(ctx, interaction) {
    if (!interaction.isChatInputCommand()) return;
    const command = findCommand(interaction.commandName);
    if (!command?.slash || !interaction.inCachedGuild()) {
      await interaction.reply({
        content: 'This command is not available here.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    const config = await guildConfig(ctx, interaction.guildId);
    await ctx.dispatch(command, fromInteraction(interaction, config));
  },
});
