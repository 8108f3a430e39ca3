import { clientError } from './client_error.js';
import { guildAvailable } from './guild_available.js';
import { guildCreate } from './guild_create.js';
import { guildDelete } from './guild_delete.js';
import { guildMemberAdd } from './guild_member_add.js';
import { guildMemberRemove } from './guild_member_remove.js';
import { guildMemberUpdate } from './guild_member_update.js';
import { guildUpdate } from './guild_update.js';
import { interactionCreate } from './interaction_create.js';
import { messageCreate } from './message_create.js';
import { ready } from './ready.js';
import { roleDelete } from './role_delete.js';
import { roleUpdate } from './role_update.js';
import type { AnyBotEvent } from './types.js';

/** Every discord.js event the bot handles. Adding one is adding its file and a line here. */
export const EVENTS: readonly AnyBotEvent[] = [
  ready,
  clientError,
  guildCreate,
  guildAvailable,
  guildDelete,
  guildUpdate,
  guildMemberAdd,
  guildMemberUpdate,
  guildMemberRemove,
  roleUpdate,
  roleDelete,
  messageCreate,
  interactionCreate,
];
