import { Events, MessageFlags } from 'discord.js';
import { fromInteraction, INTERACTION_ANSWER_WINDOW_MS } from '../commands/invocation.js';
import { findCommand } from '../commands/registry.js';
import { guildConfig } from '../guild_config.js';
import { defineEvent } from './types.js';

/** INTERACTION_CREATE: slash commands, through the same dispatcher as message commands. */
export const interactionCreate = defineEvent({
  name: Events.InteractionCreate,
  async execute(ctx, interaction) {
    if (!interaction.isChatInputCommand()) return;
    // Discord takes an answer for 3 s. One already older (the bot stalled, or is catching up after
    // a restart) cannot be answered: skip it before any work, so a backlog does not snowball.
    const age = Date.now() - interaction.createdTimestamp;
    if (age > INTERACTION_ANSWER_WINDOW_MS) {
      ctx.logger.debug(
        { command: interaction.commandName, guildId: interaction.guildId, ageMs: age },
        `Skipped /${interaction.commandName}: ${age} ms old, past Discord's answer window`,
      );
      return;
    }
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
