/**
 * The Socket.io room names the gateway uses. Use them to emit your own events to the same
 * audiences (`io.to(rooms.guild('123')).emit(...)`) or to check membership in a debugger
 * (`socket.rooms.has(rooms.guild('123'))`, the check to run when a panel gets no events).
 *
 * @example
 * ```ts
 * import { rooms } from '@wolaro/sync-socketio';
 * rooms.guild('123');    // 'guild:123'
 * rooms.user('456');     // 'user:456'
 * rooms.session('s_1');  // 'session:s_1'
 * ```
 */
export const rooms = Object.freeze({
  /** Every socket of a user: `user:{userId}`. */
  user: (userId: string): string => `user:${userId}`,
  /** Every socket of a panel session: `session:{sessionId}`. */
  session: (sessionId: string): string => `session:${sessionId}`,
  /** Every socket allowed to see a guild: `guild:{guildId}`. */
  guild: (guildId: string): string => `guild:${guildId}`,
});

/** Prefix of guild rooms, for counting them. */
export const GUILD_ROOM_PREFIX = 'guild:';
