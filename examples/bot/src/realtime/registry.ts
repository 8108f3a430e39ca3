import { configUpdate } from './config_update.js';
import { guildReload } from './guild_reload.js';
import { moduleToggle } from './module_toggle.js';
import type { AnySyncHandler } from './types.js';

/** The bot's own handlers of sync events (the config cache subscribes by itself). */
export const SYNC_HANDLERS: readonly AnySyncHandler[] = [configUpdate, moduleToggle, guildReload];
