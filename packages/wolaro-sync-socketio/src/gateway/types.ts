/**
 * A user in a guild room: what `authorizeRooms` is asked about, and answers with for the pairs
 * still allowed.
 *
 * @example
 * ```ts
 * const pair: RoomPair = { userId: '456', guildId: '123' };
 * ```
 */
export interface RoomPair {
  readonly userId: string;
  readonly guildId: string;
}

/**
 * Counters of a gateway on this node, in the shape the reference API serves at `GET /api/admin/websocket/stats`.
 *
 * @example
 * ```ts
 * app.get('/api/admin/websocket/stats', (_req, res) => res.json(gateway.stats()));
 * // { "connectedUsers": 42, "totalConnections": 58, "rooms": 15 }
 * ```
 */
export interface GatewayStats {
  /** Distinct users with at least one socket on this node. */
  connectedUsers: number;
  /** Authenticated sockets on this node. */
  totalConnections: number;
  /** Guild rooms with at least one member on this node. */
  rooms: number;
  /** Guild events this node sent to a room of its sockets (one per event, however many sockets). */
  eventsSent: number;
  /** Guild events this node dropped because none of its sockets had that guild open. */
  eventsUnwatched: number;
}

/**
 * The handle returned by `attachSync`.
 *
 * @example
 * ```ts
 * const gateway: SyncGateway = attachSync(io, options);
 * gateway.revokeSession(sessionId); // on logout
 * await gateway.close();            // on shutdown
 * ```
 */
export interface SyncGateway {
  /** Counters of this node. */
  stats(): GatewayStats;
  /**
   * Disconnects every socket of a panel session on every node (through the Socket.io adapter).
   * Also make `verifyToken` refuse the session, or its token could connect again.
   */
  revokeSession(sessionId: string): void;
  /** Disconnects every socket of a user on every node (through the Socket.io adapter). */
  disconnectUser(userId: string): void;
  /**
   * Stops forwarding, disconnects this node's sockets of the gateway and refuses new handshakes
   * (`unavailable`). Does not close `sync` or `io`: they are yours. Idempotent.
   */
  close(): Promise<void>;
}
