/**
 * Shapes of the panel-api answers (examples/panel-api/src/routes). Dates arrive as ISO strings.
 */

/** A guild of `GET /api/panel/guilds`. */
export interface GuildSummary {
  guildId: string;
  name: string;
  icon: string | null;
  isOwner: boolean;
  version: number;
}

/** A guild's settings. Known keys are typed; the API may add more. */
export interface GuildSettings {
  prefix: string;
  language: string;
  logChannelId: string | null;
  [key: string]: unknown;
}

/** One module of a guild. */
export interface ModuleState {
  enabled: boolean;
  config: Record<string, unknown>;
}

/** `GET /api/panel/guilds/:id`. */
export interface GuildDetail {
  guildId: string;
  name: string;
  icon: string | null;
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  version: number;
}

/** `PATCH /api/panel/guilds/:id`. */
export interface SettingsUpdateResult {
  guildId: string;
  settings: GuildSettings;
  version: number;
}

/** `PATCH /api/panel/guilds/:id/modules/:name`. */
export interface ModuleUpdateResult extends ModuleState {
  guildId: string;
  module: string;
  version: number;
}

/** `POST /api/panel/guilds/:id/revisions/:rev/restore`. */
export interface RestoreResult {
  guildId: string;
  restored: number;
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  version: number;
}

/** A revision of `GET /api/panel/guilds/:id/revisions` (newest first). */
export interface Revision {
  id: string;
  version: number;
  settings: GuildSettings;
  modules: Record<string, ModuleState>;
  /** Discord user id of the author; `null` for the bot / the system. */
  changedBy: string | null;
  /** The author's username, if the API sends it (not yet: the panel then shows the id's end). */
  changedByName?: string | null | undefined;
  /** `created`, `settings`, `module:<name>`, `restore:<version>`. */
  change: string;
  createdAt: string;
}

/** A command execution of `GET /api/panel/guilds/:id/logs` (newest first). */
export interface AuditEntry {
  id: string;
  guildId: string;
  command: string;
  executorId: string;
  executor: string | null;
  result: CommandResult;
  createdAt: string;
}

export type CommandResult = 'success' | 'error' | 'denied';

/** A channel of `GET /api/discord/guilds/:id/channels`. */
export interface ChannelRef {
  id: string;
  name: string;
}

/** `GET /api/discord/guilds/:id/channels`. */
export interface GuildChannels {
  text: ChannelRef[];
  voice?: ChannelRef[];
  categories?: ChannelRef[];
}

/** `GET /api/auth/me`. */
export interface Me {
  user: { id: string; username: string | null };
  session: { id: string; expiresAt: string };
  admin: boolean;
}
