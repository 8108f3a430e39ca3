import type { SOCKET_EVENTS, SyncEvents } from '@wolaro/sync';

type SocketEventMap = typeof SOCKET_EVENTS;

/** A built-in channel name (`config:update`, `module:toggle`, ...). */
type BuiltinChannel = keyof SocketEventMap;

/**
 * What a panel receives for channel `C`: the channel's payload as published (after validation and
 * defaults), minus `origin`, which names a server process and is not sent to browsers.
 *
 * @example
 * ```ts
 * const onUpdate = (e: ForwardedPayload<'config:update'>) => setPrefix(String(e.settings.prefix));
 * ```
 */
export type ForwardedPayload<C extends BuiltinChannel> = Omit<SyncEvents[C], 'origin'>;

/**
 * Sent to a socket just before the gateway disconnects it because its token expired.
 *
 * @example
 * ```ts
 * socket.on('session:expired', ({ expiresAt }: SessionExpiredPayload) => redirectToLogin(expiresAt));
 * ```
 */
export interface SessionExpiredPayload {
  /** When the token expired, in ms since the epoch. */
  expiresAt: number;
}

/**
 * Socket.io event name → listener of every event the gateway emits: one per built-in channel,
 * named by `SOCKET_EVENTS` (`config:update` → `config:updated`, `module:toggle` → `module:toggled`,
 * ...) with that channel's payload (`session:revoked` goes to the sockets of that session, just
 * before they are disconnected), plus `session:expired`.
 *
 * @example
 * ```ts
 * import { io, type Socket } from 'socket.io-client';
 * import type { ClientToServerEvents, ServerToClientEvents } from '@wolaro/sync-socketio';
 *
 * const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('https://wolaro.fr', { auth: { token } });
 * socket.on('config:updated', (e) => setPrefix(String(e.settings.prefix))); // e is typed
 * socket.on('permission:revoked', (e) => { alert(e.reason); location.href = '/panel/home'; });
 * socket.on('session:revoked', (e) => console.log(`signed out: ${e.reason}`)); // 'logout' | 'expired' | ...
 * ```
 */
export type ServerToClientEvents = {
  [C in BuiltinChannel as SocketEventMap[C]]: (payload: ForwardedPayload<C>) => void;
} & {
  'session:expired': (payload: SessionExpiredPayload) => void;
};

/**
 * Why the gateway refused a `join:guild` / `leave:guild`: the user may not manage the guild (or
 * the check failed), the guild id is not a snowflake, or the socket sends too many events.
 *
 * @example
 * ```ts
 * const error: GuildAckError = 'forbidden';
 * ```
 */
export type GuildAckError = 'forbidden' | 'invalid' | 'rate_limited';

/**
 * The acknowledgement of `join:guild` and `leave:guild`.
 *
 * @example
 * ```ts
 * const res: GuildAck = await socket.emitWithAck('join:guild', '123');
 * if (!res.ok) console.warn(res.error);
 * ```
 */
export type GuildAck = { ok: true } | { ok: false; error: GuildAckError };

/**
 * Socket.io event name → listener of the events a panel may send. Each takes a guild id and an
 * acknowledgement callback (the server also accepts an ack-less `emit('join:guild', id)`).
 *
 * @example
 * ```ts
 * const res = await socket.emitWithAck('join:guild', '123'); // GuildAck
 * socket.emit('leave:guild', '123', (res) => console.log(res.ok));
 * ```
 */
export type ClientToServerEvents = {
  /** Join `guild:{guildId}` after the server re-checks `authorize`. */
  'join:guild': (guildId: string, ack: (result: GuildAck) => void) => void;
  /** Leave `guild:{guildId}`. */
  'leave:guild': (guildId: string, ack: (result: GuildAck) => void) => void;
};

/**
 * What the gateway stores in `socket.data` after the handshake (readable with `fetchSockets()` on
 * every node).
 *
 * @example
 * ```ts
 * io.on('connection', (socket: Socket<ClientToServerEvents, ServerToClientEvents, {}, SocketData>) => {
 *   console.log(socket.data.userId, socket.data.sessionId);
 * });
 * ```
 */
export interface SocketData {
  /** The authenticated Discord user id. */
  userId: string;
  /** The panel session, when the token carries one. */
  sessionId?: string | undefined;
  /** When the token expires (ms since the epoch), when it does. */
  expiresAt?: number | undefined;
}
