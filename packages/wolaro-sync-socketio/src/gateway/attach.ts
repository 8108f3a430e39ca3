import type { ChannelMap, Logger } from '@wolaro/sync';
import { silentLogger } from '@wolaro/sync';
import type { DefaultEventsMap, Namespace, Server, Socket } from 'socket.io';
import { HandshakeError } from '../errors.js';
import type { ClientToServerEvents, GuildAck, ServerToClientEvents, SocketData } from '../events.js';
import { GuildAuthorizer } from '../internal/authorizer.js';
import { ConnectionLimiter } from '../internal/connection_limiter.js';
import {
  forClient,
  forwardChannels,
  type LocalEmitter,
  type RevokedEvent,
  type SessionRevokedEvent,
} from '../internal/forwarder.js';
import { authenticate } from '../internal/handshake.js';
import { isSessionId, isSnowflake } from '../internal/ids.js';
import { originCheck } from '../internal/origin.js';
import { reauthorizeRooms } from '../internal/reauthorize.js';
import { RevocationLog } from '../internal/revocations.js';
import { type AttachSyncOptions, DefaultAttachSyncOptions, validateAttachOptions } from './options.js';
import { TokenBucket } from './rate_limit.js';
import { GUILD_ROOM_PREFIX, rooms } from './rooms.js';
import type { GatewayStats, SyncGateway } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: accepts a Socket.io server or namespace whatever its event maps
type AnyServer = Server<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: see AnyServer
type AnyNamespace = Namespace<any, any, any, any>;

type GatewayNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

interface SocketState {
  readonly userId: string;
  readonly sessionId: string | undefined;
  readonly expiresAt: number | undefined;
  /** Revocation sequence taken before the handshake's authorization checks. */
  readonly seq: number;
  /** Guilds authorized during the handshake, joined on connection. */
  guilds: readonly string[];
  readonly bucket: TokenBucket | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** setTimeout's ceiling (~24.8 days); longer expiries re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

const ACK_OK: GuildAck = Object.freeze({ ok: true });
const ACK_FORBIDDEN: GuildAck = Object.freeze({ ok: false, error: 'forbidden' });
const ACK_INVALID: GuildAck = Object.freeze({ ok: false, error: 'invalid' });
const ACK_RATE_LIMITED: GuildAck = Object.freeze({ ok: false, error: 'rate_limited' });

/** Most guild events held back while the rooms are re-checked; past it they go out at once. */
const MAX_HELD_EVENTS = 10_000;
/** The `reason` of the `permission:revoked` a socket gets when the re-check takes a room away. */
const REAUTH_REASON = 'Access re-checked after a bus outage';
/** Revocation-log key of a session (the log keys are `${a}:${b}`; user ids are digits only). */
const SESSION_KEY = 'session';

class Gateway implements SyncGateway {
  readonly #nsp: GatewayNamespace;
  readonly #options: AttachSyncOptions<ChannelMap>;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #revocations: RevocationLog;
  readonly #authorizer: GuildAuthorizer;
  readonly #limiter: ConnectionLimiter;
  readonly #states = new WeakMap<GatewaySocket, SocketState>();
  readonly #sockets = new Set<GatewaySocket>();
  readonly #users = new Map<string, number>();
  #eventsSent = 0;
  #eventsUnwatched = 0;
  readonly #unsubscribe: () => void;
  /** Guild events held while the rooms are re-checked after an outage; undefined: deliver at once. */
  #held: (() => void)[] | undefined;
  #resync: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(nsp: GatewayNamespace, options: AttachSyncOptions<ChannelMap>) {
    this.#nsp = nsp;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#timeoutMs = options.callbackTimeoutMs ?? DefaultAttachSyncOptions.callbackTimeoutMs;
    // A handshake runs at most verifyToken + listGuilds + authorize timeouts (a join:guild check
    // one); keep revocations a bit longer than that.
    this.#revocations = new RevocationLog(3 * this.#timeoutMs + 1000);
    this.#authorizer = new GuildAuthorizer({
      authorize: options.authorize,
      listGuilds: options.listGuilds,
      authorizeGuilds: options.authorizeGuilds,
      timeoutMs: this.#timeoutMs,
      logger: this.#logger,
    });
    this.#limiter = new ConnectionLimiter({
      limits: options.connectionRateLimit,
      clientAddress: options.clientAddress,
      logger: this.#logger,
    });
    if (!options.allowedOrigins) {
      this.#logger.warn(
        {},
        'attachSync: no allowedOrigins, Socket.io handshakes from any origin are accepted',
      );
    }
    const checkOrigin = originCheck({
      allowedOrigins: options.allowedOrigins,
      requireOrigin: options.requireOrigin,
    });

    nsp.use((socket, next) => {
      this.#handshake(socket, checkOrigin).then(
        () => next(),
        (err: unknown) => {
          if (!(err instanceof HandshakeError))
            this.#logger.error({ err }, 'Socket handshake failed unexpectedly');
          // Only the code reaches the client: a fresh error without cause or stack details.
          next(new HandshakeError(err instanceof HandshakeError ? err.code : 'unauthorized'));
        },
      );
    });
    nsp.on('connection', this.#onConnection);

    const sync = options.sync;
    const stopForwarding = forwardChannels({
      channels: sync.channels,
      subscribe: (channel, handler) => sync.subscribeUntyped(channel, handler),
      local: () => nsp.local as unknown as LocalEmitter,
      watched: (room) => (nsp.adapter.rooms.get(room)?.size ?? 0) > 0,
      onForward: (sent) => {
        if (sent) this.#eventsSent++;
        else this.#eventsUnwatched++;
      },
      onRevoked: (event) => this.#onRevoked(event),
      onSessionRevoked: (event) => this.#onSessionRevoked(event),
      gate: (send) => this.#gate(send),
      logger: this.#logger,
    });
    const onResync = () => {
      this.#resync = this.#resync.then(() => this.#onResync());
    };
    sync.on('resync', onResync);
    this.#unsubscribe = () => {
      stopForwarding();
      sync.off('resync', onResync);
    };
  }

  #gate(send: () => void): void {
    if (this.#held === undefined) {
      send();
    } else if (this.#held.length < MAX_HELD_EVENTS) {
      this.#held.push(send);
    } else {
      this.#logger.warn(
        { held: MAX_HELD_EVENTS },
        'Too many events held during the rooms re-check: sent now',
      );
      this.#release();
      send();
    }
  }

  /** Delivers the held guild events in their order and stops holding. */
  #release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const send of held) send();
  }

  /**
   * The bus is back from an outage: revocations may have been missed, so the rooms are re-checked
   * first (guild events held meanwhile), then every remaining guild room reloads.
   */
  async #onResync(): Promise<void> {
    if (this.#closed) return;
    const authorizeRooms = this.#options.authorizeRooms;
    if (authorizeRooms) {
      this.#held ??= [];
      try {
        await this.#reauthorize(authorizeRooms);
      } catch (err) {
        this.#logger.error({ err }, 'Guild rooms re-check failed unexpectedly');
      }
    }
    try {
      if (this.#options.reloadOnResync ?? DefaultAttachSyncOptions.reloadOnResync) this.#reloadAll();
    } finally {
      this.#release();
    }
  }

  async #reauthorize(authorizeRooms: NonNullable<AttachSyncOptions['authorizeRooms']>): Promise<void> {
    const sockets = [...this.#sockets].flatMap((socket) => {
      const state = this.#states.get(socket);
      return state && socket.connected ? [{ socket, userId: state.userId }] : [];
    });
    const removed = await reauthorizeRooms({
      sockets,
      authorizeRooms,
      timeoutMs: this.#timeoutMs,
      logger: this.#logger,
      onRemoved: (socket, { userId, guildId }) => {
        // A join:guild check still running for this pair must not put the socket back.
        this.#revocations.record(userId, guildId);
        socket.emit('permission:revoked', { guildId, userId, reason: REAUTH_REASON, timestamp: Date.now() });
      },
    });
    if (removed !== undefined) {
      this.#logger.info(
        { sockets: sockets.length, removed },
        `Guild rooms re-checked after the outage: ${removed} removed`,
      );
    }
  }

  /** Events may have been missed during a bus outage: every panel on this node reloads its guilds. */
  #reloadAll(): void {
    const timestamp = Date.now();
    let count = 0;
    for (const [room, members] of this.#nsp.adapter.rooms) {
      if (members.size === 0 || !room.startsWith(GUILD_ROOM_PREFIX)) continue;
      const guildId = room.slice(GUILD_ROOM_PREFIX.length);
      this.#nsp.local.to(room).emit('guild:reload', { guildId, reason: 'resync', timestamp });
      count++;
    }
    this.#logger.info(
      { rooms: count },
      `Sync bus back after an outage: guild:reload sent to ${count} guild rooms`,
    );
  }

  async #handshake(socket: GatewaySocket, checkOrigin: ReturnType<typeof originCheck>): Promise<void> {
    if (this.#closed) throw new HandshakeError('unavailable');
    // Cheapest first: a flood from one address is refused before any token check or query.
    const address = this.#limiter.address(socket.request, socket.handshake.address);
    if (!this.#limiter.allowAddress(address)) throw new HandshakeError('rate_limited');
    // Taken before the token check: a session revoked while it runs is refused on connection.
    const seq = this.#revocations.seq;
    const identity = await authenticate(socket.handshake, {
      checkOrigin,
      verifyToken: this.#options.verifyToken,
      timeoutMs: this.#timeoutMs,
      logger: this.#logger,
    });
    if (!this.#limiter.allowUser(identity.userId, address)) throw new HandshakeError('rate_limited');
    const guilds = await this.#authorizer.autoJoinGuilds(identity.userId);
    // Closed while this handshake ran: the connection listener is gone, nobody would track it.
    if (this.#closed) throw new HandshakeError('unavailable');
    const rateLimit = this.#options.rateLimit ?? DefaultAttachSyncOptions.rateLimit;
    this.#states.set(socket, {
      userId: identity.userId,
      sessionId: identity.sessionId,
      expiresAt: identity.expiresAt,
      seq,
      guilds,
      bucket: rateLimit === false ? undefined : new TokenBucket(rateLimit),
      timer: undefined,
    });
    socket.data.userId = identity.userId;
    if (identity.sessionId !== undefined) socket.data.sessionId = identity.sessionId;
    if (identity.expiresAt !== undefined) socket.data.expiresAt = identity.expiresAt;
  }

  readonly #onConnection = (socket: GatewaySocket): void => {
    const state = this.#states.get(socket);
    if (!state) return; // authenticated by nobody we know (connected before attachSync)
    if (this.#closed) {
      socket.disconnect(true);
      return;
    }
    const { userId, sessionId } = state;
    if (sessionId !== undefined && this.#revocations.revokedSince(SESSION_KEY, sessionId, state.seq)) {
      socket.emit('session:revoked', { sessionId, userId, reason: 'revoked', timestamp: Date.now() });
      socket.disconnect(true);
      return;
    }
    // A revocation handled while the handshake was checking a guild wins over that check.
    const guilds = state.guilds.filter((g) => !this.#revocations.revokedSince(userId, g, state.seq));
    state.guilds = [];
    void socket.join([
      rooms.user(userId),
      ...(sessionId !== undefined ? [rooms.session(sessionId)] : []),
      ...guilds.map(rooms.guild),
    ]);
    this.#sockets.add(socket);
    this.#users.set(userId, (this.#users.get(userId) ?? 0) + 1);
    this.#armExpiry(socket, state);

    socket.on('join:guild', (...args: unknown[]) => this.#onGuildEvent('join', socket, state, args));
    socket.on('leave:guild', (...args: unknown[]) => this.#onGuildEvent('leave', socket, state, args));
    socket.on('disconnect', () => this.#onDisconnect(socket, state));
    this.#logger.debug({ userId, guilds: guilds.length }, `Socket connected for user ${userId}`);
  };

  #onGuildEvent(kind: 'join' | 'leave', socket: GatewaySocket, state: SocketState, args: unknown[]): void {
    // The ack is the last argument; a client that sent only an ack (no guild id) is answered too.
    const last = args[args.length - 1];
    const ack = (result: GuildAck): void => {
      if (typeof last !== 'function') return;
      try {
        last(result);
      } catch (err) {
        this.#logger.debug({ err }, 'ack failed');
      }
    };
    const guildId = args[0]; // an ack passed alone is not a snowflake: answered invalid
    if (state.bucket && !state.bucket.take()) {
      ack(ACK_RATE_LIMITED);
    } else if (!isSnowflake(guildId)) {
      ack(ACK_INVALID);
    } else if (kind === 'leave') {
      void socket.leave(rooms.guild(guildId));
      ack(ACK_OK);
    } else {
      const seq = this.#revocations.seq;
      this.#authorizer.authorize(state.userId, guildId).then(
        (allowed) => {
          if (!socket.connected || this.#closed) return;
          if (allowed && !this.#revocations.revokedSince(state.userId, guildId, seq)) {
            void socket.join(rooms.guild(guildId));
            ack(ACK_OK);
          } else {
            ack(ACK_FORBIDDEN);
          }
        },
        (err: unknown) => this.#logger.error({ err }, 'join:guild failed'),
      );
    }
  }

  #armExpiry(socket: GatewaySocket, state: SocketState): void {
    const { expiresAt } = state;
    if (expiresAt === undefined) return;
    const delay = expiresAt - Date.now();
    if (delay <= 0) {
      this.#logger.debug(
        { userId: state.userId },
        `Token of user ${state.userId} expired, socket disconnected`,
      );
      socket.emit('session:expired', { expiresAt });
      socket.disconnect(true);
      return;
    }
    state.timer = setTimeout(() => this.#armExpiry(socket, state), Math.min(delay, MAX_TIMER_MS));
    state.timer.unref();
  }

  #onDisconnect(socket: GatewaySocket, state: SocketState): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    if (!this.#sockets.delete(socket)) return;
    const count = (this.#users.get(state.userId) ?? 1) - 1;
    if (count > 0) this.#users.set(state.userId, count);
    else this.#users.delete(state.userId);
  }

  #onRevoked(event: RevokedEvent): void {
    const { userId, guildId } = event;
    // Recorded even without local sockets: a handshake of this user may be checking the guild now.
    this.#revocations.record(userId, guildId);
    if (!this.#users.has(userId)) return;
    const userRoom = rooms.user(userId);
    // Every node gets this event from the bus and handles its own sockets only, so each client
    // gets exactly one permission:revoked, after it left the room and before anything else.
    this.#nsp.local.in(userRoom).socketsLeave(rooms.guild(guildId));
    (this.#nsp.local as unknown as LocalEmitter).to(userRoom).emit('permission:revoked', forClient(event));
    if (this.#options.disconnectOnRevoke ?? DefaultAttachSyncOptions.disconnectOnRevoke) {
      this.#nsp.local.in(userRoom).disconnectSockets(true);
    }
    this.#logger.info({ userId, guildId }, `Permission revoked for user ${userId} on guild ${guildId}`);
  }

  #onSessionRevoked(event: SessionRevokedEvent): void {
    const { sessionId, userId, reason } = event;
    // Recorded first: a handshake of this session checking its token right now must not connect.
    this.#revocations.record(SESSION_KEY, sessionId);
    if (!this.#users.has(userId)) return;
    const room = rooms.session(sessionId);
    // This node's sockets of the session only: every node gets the event from the bus.
    (this.#nsp.local as unknown as LocalEmitter).to(room).emit('session:revoked', forClient(event));
    this.#nsp.local.in(room).disconnectSockets(true);
    this.#logger.info(
      { userId, sessionId, reason },
      `Session ${sessionId} of user ${userId} revoked (${reason}), its sockets disconnected`,
    );
  }

  stats(): GatewayStats {
    let guildRooms = 0;
    for (const [room, members] of this.#nsp.adapter.rooms) {
      if (members.size > 0 && room.startsWith(GUILD_ROOM_PREFIX)) guildRooms++;
    }
    return {
      connectedUsers: this.#users.size,
      totalConnections: this.#sockets.size,
      rooms: guildRooms,
      eventsSent: this.#eventsSent,
      eventsUnwatched: this.#eventsUnwatched,
    };
  }

  revokeSession(sessionId: string): void {
    if (!isSessionId(sessionId)) {
      throw new TypeError(`revokeSession: "${String(sessionId)}" is not a session id`);
    }
    this.#nsp.in(rooms.session(sessionId)).disconnectSockets(true);
  }

  disconnectUser(userId: string): void {
    if (!isSnowflake(userId)) throw new TypeError(`disconnectUser: "${String(userId)}" is not a user id`);
    this.#nsp.in(rooms.user(userId)).disconnectSockets(true);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#nsp.off('connection', this.#onConnection);
    for (const socket of [...this.#sockets]) {
      const state = this.#states.get(socket);
      if (state) clearTimeout(state.timer);
      socket.disconnect(true);
    }
    this.#sockets.clear();
    this.#users.clear();
  }
}

/**
 * Connects a Socket.io server to Wolaro Sync: authenticates every handshake (JWT from
 * `handshake.auth.token`, optional origin allow-list), puts each socket in `user:{id}`,
 * `session:{sid}` and the `guild:{id}` rooms it may see, forwards every channel of `sync` to its
 * guild room under the Socket.io event names (`config:updated`, `module:toggled`, ...), handles
 * `join:guild` / `leave:guild` (re-checked, rate-limited), applies `permission:revoked` at once, and
 * disconnects a socket when its token expires. Handshakes are limited per client address and per
 * user (`connectionRateLimit`), and with `authorizeGuilds` a handshake checks all its guilds in one
 * call.
 *
 * With `@socket.io/redis-adapter` on several nodes, each client receives each event once and
 * revocations apply on every node (see docs/guides/scaling.md). Options are checked here: a
 * mistake throws a `TypeError` now rather than failing on the first connection.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { Server } from 'socket.io';
 * import { SyncClient } from '@wolaro/sync';
 * import { attachSync, jwtVerifier } from '@wolaro/sync-socketio';
 *
 * const io = new Server(createServer(app), { cors: { origin: ['https://wolaro.fr'] } });
 * const sync = new SyncClient({ redis: process.env.REDIS_URL });
 * await sync.connect();
 * const gateway = attachSync(io, {
 *   sync,
 *   verifyToken: jwtVerifier({ secret: process.env.JWT_SECRET! }),
 *   authorize: (userId, guildId) => db.canManageGuild(userId, guildId),
 *   listGuilds: (userId) => db.managedGuildIds(userId),
 *   allowedOrigins: ['https://wolaro.fr'],
 * });
 * app.get('/api/admin/websocket/stats', (_req, res) => res.json(gateway.stats()));
 * ```
 */
export function attachSync<M extends ChannelMap = Record<never, never>>(
  io: AnyServer | AnyNamespace,
  options: AttachSyncOptions<M>,
): SyncGateway {
  if (io === null || typeof io !== 'object' || typeof (io as { use?: unknown }).use !== 'function') {
    throw new TypeError('attachSync: `io` must be a Socket.io Server or Namespace');
  }
  validateAttachOptions(options);
  const nsp = (
    typeof (io as AnyServer).of === 'function' ? (io as AnyServer).of('/') : io
  ) as GatewayNamespace;
  return new Gateway(nsp, options as unknown as AttachSyncOptions<ChannelMap>);
}
