import type { GuildConfig } from '@wolaro/sync';
import type { Guild, GuildMember, PermissionResolvable, User } from 'discord.js';
import type { BotContext } from '../context.js';

/** One argument of a command: a slash option, or a word of a message command. */
export interface CommandOption {
  name: string;
  description: string;
  /** `user`: a mention or an id in a message; `string`: the rest of the message when it is the last option. */
  type: 'user' | 'string';
  required: boolean;
}

/** A command run, from a message (`{prefix}name args`) or a slash command, in one shape. */
export interface Invocation {
  /** The message's or the interaction's id (a snowflake): identifies this run in the audit log. */
  id: string;
  source: 'message' | 'slash';
  guild: Guild;
  user: User;
  member: GuildMember | null;
  /** The guild's config as it was when the command arrived. */
  config: Readonly<GuildConfig>;
  /** Parsed options: user ids for `user` options, text for `string` ones. */
  args: Readonly<Record<string, string | undefined>>;
  /** When Discord created the message or interaction (ms since the epoch). */
  createdTimestamp: number;
  /** Answers in the channel (message) or as the interaction response (slash). */
  reply(content: string, options?: { ephemeral?: boolean }): Promise<void>;
}

/** What a command may hand back: a line for the guild's log channel (logging module). */
export interface CommandOutcome {
  logLine?: string;
}

/**
 * A command, as data: the registry lists these, the dispatcher checks `module` and
 * `permissions`, and the slash definitions are derived from `options`.
 */
export interface Command {
  name: string;
  description: string;
  /** Module that must be enabled in the guild, else the command answers `denied`. */
  module?: 'moderation' | 'welcome' | 'logging';
  /** Permissions the member needs, else `denied` (also the slash command's default member permissions). */
  permissions?: PermissionResolvable;
  options: readonly CommandOption[];
  /** Available as `{prefix}name`. */
  message: boolean;
  /** Registered as `/name`. */
  slash: boolean;
  run(invocation: Invocation, ctx: BotContext): Promise<CommandOutcome | undefined>;
}
