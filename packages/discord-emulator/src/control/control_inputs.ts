/**
 * Changes `control.updateGuild()` / `PATCH /_emulator/guilds/:id` make to a guild.
 *
 * @example
 * ```ts
 * const patch: GuildUpdateInput = { ownerId: DEMO.users.admin, name: 'New name' };
 * emulator.control.updateGuild(DEMO.guildId, patch); // → GUILD_UPDATE
 * ```
 */
export interface GuildUpdateInput {
  /** New owner; must be a member. */
  ownerId?: string | undefined;
  /** New name (2-100 characters). */
  name?: string | undefined;
}

/**
 * A user's reaction (`control.addReaction()` / `removeReaction()`).
 *
 * @example
 * ```ts
 * const reaction: ReactionInput = { userId: DEMO.users.member, emoji: '👍' };
 * emulator.control.addReaction(DEMO.channels.general, messageId, reaction); // → MESSAGE_REACTION_ADD
 * ```
 */
export interface ReactionInput {
  userId: string;
  /** A Unicode emoji, or `name:id` for a custom guild emoji. */
  emoji: string;
}

/**
 * A thread a user opens (`control.createThread()`).
 *
 * @example
 * ```ts
 * const input: ThreadInput = { userId: DEMO.users.member, name: 'help', messageId };
 * emulator.control.createThread(DEMO.channels.general, input); // → THREAD_CREATE
 * ```
 */
export interface ThreadInput {
  userId: string;
  name: string;
  /** Start the thread from this message (the thread gets the message's id). */
  messageId?: string | undefined;
  /** A private thread (type 12) instead of a public one (11); ignored with `messageId`. */
  private?: boolean | undefined;
}

/**
 * A ban made by a moderator (`control.banMember()`).
 *
 * @example
 * ```ts
 * const input: BanInput = { byUserId: DEMO.users.moderator, reason: 'spam' };
 * emulator.control.banMember(DEMO.guildId, DEMO.users.member, input); // → GUILD_BAN_ADD
 * ```
 */
export interface BanInput {
  /** The moderator (recorded in the audit log). */
  byUserId: string;
  reason?: string | undefined;
  /** Delete the user's messages of the last N seconds (0-604800). */
  deleteMessageSeconds?: number | undefined;
}
