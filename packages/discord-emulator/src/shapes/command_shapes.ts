import type { CommandRecord } from '../state/records.js';
import type { ApiCommand } from './api_types.js';

/** A command record as Discord's application command object. */
export function apiCommand(command: CommandRecord): ApiCommand {
  const out: ApiCommand = {
    id: command.id,
    application_id: command.application_id,
    type: command.type,
    name: command.name,
    name_localizations: command.name_localizations,
    description: command.description,
    description_localizations: command.description_localizations,
    default_member_permissions: command.default_member_permissions,
    nsfw: command.nsfw,
    contexts: command.contexts,
    integration_types: command.integration_types,
    version: command.version,
  };
  if (command.guild_id) out.guild_id = command.guild_id;
  else out.dm_permission = true;
  if (command.options.length > 0) out.options = structuredClone(command.options);
  return out;
}
