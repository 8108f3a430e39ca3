import type { GuildConfig } from '@wolaro/sync';
import { type ChatInputCommandInteraction, type Message, MessageFlags } from 'discord.js';
import type { Command, Invocation } from './types.js';

/** How long Discord accepts the first answer to an interaction after it was created. */
export const INTERACTION_ANSWER_WINDOW_MS = 3000;

/** An {@link Invocation} before its arguments are read (reading them may fail with a usage error). */
export type InvocationSource = Omit<Invocation, 'args'> & {
  readArgs(command: Command): Record<string, string | undefined>;
};

const MENTION = /^<@!?(\d{1,20})>$|^(\d{1,20})$/;

/** Why a message command's arguments could not be read (answered to the user as is). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Reads a message command's arguments in the order of the command's options: a `user` option
 * takes one word (a mention or an id), the last `string` option takes the rest of the text.
 */
export function parseMessageArgs(command: Command, text: string): Record<string, string | undefined> {
  const args: Record<string, string | undefined> = {};
  let rest = text.trim();
  command.options.forEach((option, index) => {
    const last = index === command.options.length - 1;
    let value: string | undefined;
    if (option.type === 'string' && last) {
      value = rest || undefined;
      rest = '';
    } else {
      const match = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      value = match?.[1];
      rest = match?.[2] ?? '';
    }
    if (value !== undefined && option.type === 'user') {
      const id = MENTION.exec(value);
      if (!id) throw new UsageError(`${option.name} must be a mention or a user id`);
      value = id[1] ?? id[2];
    }
    if (value === undefined && option.required) {
      const usage = command.options.map((o) => (o.required ? `<${o.name}>` : `[${o.name}]`)).join(' ');
      throw new UsageError(`Usage: ${command.name} ${usage}`);
    }
    args[option.name] = value;
  });
  return args;
}

/** A message command as an {@link Invocation}; `text` is what follows the command name. */
export function fromMessage(
  message: Message<true>,
  config: Readonly<GuildConfig>,
  text: string,
): InvocationSource {
  return {
    id: message.id,
    source: 'message',
    guild: message.guild,
    user: message.author,
    member: message.member,
    config,
    readArgs: (command) => parseMessageArgs(command, text),
    createdTimestamp: message.createdTimestamp,
    async reply(content) {
      await message.reply({ content, allowedMentions: { repliedUser: false, parse: [] } });
    },
  };
}

/** A slash command as an {@link Invocation}. */
export function fromInteraction(
  interaction: ChatInputCommandInteraction<'cached'>,
  config: Readonly<GuildConfig>,
): InvocationSource {
  const readArgs = (command: Command) => {
    const args: Record<string, string | undefined> = {};
    for (const option of command.options) {
      const value =
        option.type === 'user'
          ? interaction.options.getUser(option.name)?.id
          : (interaction.options.getString(option.name) ?? undefined);
      if (value === undefined && option.required)
        throw new UsageError(`The ${option.name} option is required`);
      args[option.name] = value;
    }
    return args;
  };
  return {
    id: interaction.id,
    source: 'slash',
    guild: interaction.guild,
    user: interaction.user,
    member: interaction.member,
    config,
    readArgs,
    createdTimestamp: interaction.createdTimestamp,
    async reply(content, options) {
      const payload = {
        content,
        allowedMentions: { parse: [] },
        ...(options?.ephemeral ? { flags: MessageFlags.Ephemeral as const } : {}),
      };
      if (interaction.replied || interaction.deferred) await interaction.followUp(payload);
      else await interaction.reply(payload);
    },
  };
}
