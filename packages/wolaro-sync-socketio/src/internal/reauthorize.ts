import type { Logger } from '@wolaro/sync';
import { GUILD_ROOM_PREFIX } from '../gateway/rooms.js';
import type { RoomPair } from '../gateway/types.js';
import { guardedCall } from './guard.js';
import { isSnowflake } from './ids.js';

/** The part of a socket the re-check reads and changes. */
export interface ReauthSocket {
  readonly rooms: ReadonlySet<string>;
  leave(room: string): unknown;
}

/** What {@link reauthorizeRooms} needs. */
export interface ReauthDeps<S extends ReauthSocket> {
  /** This node's authenticated sockets with their user. */
  sockets: Iterable<{ socket: S; userId: string }>;
  authorizeRooms: (pairs: readonly RoomPair[]) => readonly RoomPair[] | Promise<readonly RoomPair[]>;
  timeoutMs: number;
  logger: Logger;
  /** Called once per socket and guild it was removed from (after it left the room). */
  onRemoved: (socket: S, pair: RoomPair) => void;
}

const key = (userId: string, guildId: string) => `${userId}:${guildId}`;

/** Every distinct (user, guild) pair of the guild rooms the sockets are in. */
export function roomPairs(sockets: Iterable<{ socket: ReauthSocket; userId: string }>): RoomPair[] {
  const pairs = new Map<string, RoomPair>();
  for (const { socket, userId } of sockets) {
    for (const room of socket.rooms) {
      if (!room.startsWith(GUILD_ROOM_PREFIX)) continue;
      const guildId = room.slice(GUILD_ROOM_PREFIX.length);
      if (isSnowflake(guildId)) pairs.set(key(userId, guildId), { userId, guildId });
    }
  }
  return [...pairs.values()];
}

/** The allowed pairs as a set of keys, or `undefined` when the answer is not a list of pairs. */
function allowedKeys(answer: unknown): Set<string> | undefined {
  if (!Array.isArray(answer)) return undefined;
  const keys = new Set<string>();
  for (const item of answer) {
    const { userId, guildId } = (item ?? {}) as Partial<RoomPair>;
    if (!isSnowflake(userId) || !isSnowflake(guildId)) return undefined;
    keys.add(key(userId, guildId));
  }
  return keys;
}

/**
 * Re-checks every guild room of this node's sockets with ONE `authorizeRooms` call and takes each
 * socket out of the rooms no longer allowed. A failing, hanging or malformed answer changes
 * nothing (logged at error): the rooms stay as they are and the HTTP API still refuses each
 * request. Returns how many (socket, guild) memberships were removed, or `undefined` on failure.
 */
export async function reauthorizeRooms<S extends ReauthSocket>(
  deps: ReauthDeps<S>,
): Promise<number | undefined> {
  const sockets = [...deps.sockets];
  const pairs = roomPairs(sockets);
  if (pairs.length === 0) return 0;
  const result = await guardedCall(() => deps.authorizeRooms(pairs), deps.timeoutMs, 'authorizeRooms');
  const allowed = result.ok ? allowedKeys(result.value) : undefined;
  if (!allowed) {
    const err = result.ok
      ? new Error('authorizeRooms did not return a list of { userId, guildId }')
      : result.error;
    deps.logger.error(
      { err, pairs: pairs.length },
      `Guild rooms not re-checked after the outage, they stay as they are: ${err.message}`,
    );
    return undefined;
  }
  let removed = 0;
  for (const { socket, userId } of sockets) {
    for (const room of [...socket.rooms]) {
      if (!room.startsWith(GUILD_ROOM_PREFIX)) continue;
      const guildId = room.slice(GUILD_ROOM_PREFIX.length);
      if (allowed.has(key(userId, guildId))) continue;
      socket.leave(room);
      deps.onRemoved(socket, { userId, guildId });
      removed++;
    }
  }
  return removed;
}
