import type { DeliveryInfo, Logger } from '@wolaro/sync';
import { rooms } from '../gateway/rooms.js';
import { isSnowflake } from './ids.js';

/** Event names Socket.io refuses to emit, plus the gateway's own. */
const RESERVED_EVENTS = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
  'session:expired',
  'session:revoked',
]);

/** The payload of `permission:revoked` as the forwarder hands it over. */
export interface RevokedEvent {
  guildId: string;
  userId: string;
  reason: string;
  [key: string]: unknown;
}

/** The payload of `session:revoked` as the forwarder hands it over. */
export interface SessionRevokedEvent {
  sessionId: string;
  userId: string;
  reason: string;
  [key: string]: unknown;
}

/** Something that can emit to the sockets of this node only (`nsp.local.to(room)`). */
export interface LocalEmitter {
  to(room: string): { emit(event: string, payload: unknown): unknown };
}

/** What {@link forwardChannels} needs. */
export interface ForwarderDeps {
  /** Channel name → definition, from `sync.channels`. */
  channels: Readonly<Record<string, { readonly socketEvent: string }>>;
  /** `sync.subscribe`, untyped. */
  subscribe: (channel: string, handler: (payload: unknown, info: DeliveryInfo) => void) => () => void;
  /** Returns the node-local broadcast operator (a fresh one each time). */
  local: () => LocalEmitter;
  /**
   * Whether a socket of this node is in the room. An event for a room nobody here watches is
   * dropped before it is copied and encoded for Socket.io: a bot in many guilds publishes events
   * of every guild, and a node holds sockets for few of them.
   */
  watched: (room: string) => boolean;
  /** Counts what happened to a guild event: sent to the room, or dropped (nobody watching). */
  onForward?: (sent: boolean) => void;
  /** Handles `permission:revoked` (room changes first, then the event to the user). */
  onRevoked: (event: RevokedEvent) => void;
  /** Handles `session:revoked` (the event to the session's sockets, then their disconnection). */
  onSessionRevoked: (event: SessionRevokedEvent) => void;
  /**
   * Runs `send` now, or later when the gateway holds guild events back (while it re-checks its
   * rooms after an outage). Revocations are never held.
   */
  gate: (send: () => void) => void;
  logger: Logger;
}

/**
 * The payload as the panel receives it: without `origin`, which names a server process (host
 * and pid) and has no business in a browser.
 */
export function forClient(payload: Record<string, unknown>): Record<string, unknown> {
  if (!('origin' in payload)) return payload;
  const { origin: _origin, ...rest } = payload;
  return rest;
}

/**
 * Subscribes to every channel of the client and forwards each event to `guild:{guildId}` under the
 * channel's Socket.io event name, on this node's sockets only (`io.local`): every node receives the
 * event from the bus, so a cluster-wide emit would deliver it once per node. An event whose room has
 * no socket on this node is dropped before any Socket.io work. `permission:revoked`
 * goes to `onRevoked` instead of the guild room: it concerns one user, and the others in the room
 * must not be sent away; `session:revoked` goes to `onSessionRevoked` (it has no guild). Returns a
 * function that unsubscribes everything.
 */
export function forwardChannels(deps: ForwarderDeps): () => void {
  const { logger } = deps;
  const offs: (() => void)[] = [];
  const warned = new Set<string>();
  for (const [channel, def] of Object.entries(deps.channels)) {
    if (channel === 'permission:revoked') {
      offs.push(deps.subscribe(channel, (payload) => deps.onRevoked(payload as RevokedEvent)));
      continue;
    }
    if (channel === 'session:revoked') {
      offs.push(deps.subscribe(channel, (payload) => deps.onSessionRevoked(payload as SessionRevokedEvent)));
      continue;
    }
    const event = def.socketEvent;
    if (RESERVED_EVENTS.has(event)) {
      logger.warn(
        { channel, event },
        `Not forwarding ${channel}: "${event}" is a reserved Socket.io event name`,
      );
      continue;
    }
    offs.push(
      deps.subscribe(channel, (payload) => {
        const data = payload as Record<string, unknown>;
        const guildId = data['guildId'];
        if (!isSnowflake(guildId)) {
          // A custom channel without a guild: nobody to forward it to. Say so once.
          if (!warned.has(channel)) {
            warned.add(channel);
            logger.warn({ channel }, `Not forwarding ${channel}: its payload has no guildId`);
          }
          return;
        }
        const room = rooms.guild(guildId);
        deps.gate(() => {
          // Checked when sending: sockets may join while events are held back.
          const sent = deps.watched(room);
          if (sent) deps.local().to(room).emit(event, forClient(data));
          deps.onForward?.(sent);
        });
      }),
    );
  }
  return () => {
    for (const off of offs.splice(0)) off();
  };
}
