import {
  type APIApplicationCommandBasicOption,
  ApplicationCommandOptionType,
  PermissionsBitField,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { ban } from './ban.js';
import { config } from './config.js';
import { ping } from './ping.js';
import type { Command, CommandOption } from './types.js';
import { warn } from './warn.js';

/** Every command of the bot. Adding one is adding its file and a line here. */
export const COMMANDS: readonly Command[] = [ping, config, ban, warn];

const byName = new Map(COMMANDS.map((c) => [c.name, c]));

/** The command named `name` (lower case), if any. */
export function findCommand(name: string): Command | undefined {
  return byName.get(name);
}

function optionData(option: CommandOption): APIApplicationCommandBasicOption {
  const { name, description, required } = option;
  return option.type === 'user'
    ? { type: ApplicationCommandOptionType.User, name, description, required }
    : { type: ApplicationCommandOptionType.String, name, description, required };
}

/** The slash command definitions registered in each guild (derived from {@link COMMANDS}). */
export function slashCommandData(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return COMMANDS.filter((c) => c.slash).map((c) => ({
    name: c.name,
    description: c.description,
    ...(c.permissions === undefined
      ? {}
      : { default_member_permissions: PermissionsBitField.resolve(c.permissions).toString() }),
    options: c.options.map(optionData),
  }));
}
