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
export { DefaultRateLimitOptions, type RateLimitOptions } from './gateway/rate_limit.js';
export { rooms } from './gateway/rooms.js';
export type { GatewayStats, SyncGateway } from './gateway/types.js';
