/**
 * The Socket.io gateway of Wolaro Sync: JWT handshake, guild rooms, permission revocation and
 * typed event maps, pushing every `@wolaro/sync` event to the panels allowed to see it.
 *
 * @packageDocumentation
 * @module @wolaro/sync-socketio
 */
export {
  DefaultJwtVerifierOptions,
  type JwtVerifierOptions,
  jwtVerifier,
  type TokenVerifier,
  type VerifiedToken,
} from './auth/jwt_verifier.js';
export { HandshakeError, type HandshakeErrorCode } from './errors.js';
export type * from './events.js';
export { attachSync } from './gateway/attach.js';
export { type AttachSyncOptions, DefaultAttachSyncOptions } from './gateway/options.js';
export {
  type ConnectionRateLimitOptions,
  DefaultConnectionRateLimitOptions,
  DefaultRateLimitOptions,
  type RateLimitOptions,
} from './gateway/rate_limit.js';
export { rooms } from './gateway/rooms.js';
export type { GatewayStats, RoomPair, SyncGateway } from './gateway/types.js';
