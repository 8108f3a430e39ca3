import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '@wolaro/sync';
import type { TokenVerifier, VerifiedToken } from '../auth/jwt_verifier.js';
import { HandshakeError } from '../errors.js';
import { guardedCall } from './guard.js';
import { isSessionId, isSnowflake } from './ids.js';
import type { OriginCheck } from './origin.js';

/** Longest token looked at; anything longer is refused unread. */
export const MAX_TOKEN_LENGTH = 8192;

/** What {@link authenticate} needs. */
export interface AuthenticateDeps {
  checkOrigin: OriginCheck;
  verifyToken: TokenVerifier;
  timeoutMs: number;
  logger: Logger;
}

/** The parts of a Socket.io handshake that authentication reads. */
export interface HandshakeLike {
  auth: Record<string, unknown> | undefined;
  headers: IncomingHttpHeaders;
  address: string;
}

/**
 * Authenticates a handshake: origin first (cheapest), then the token from `handshake.auth.token`
 * only (a token in the query string would end up in proxy and access logs, so it is ignored), then
 * the identity the verifier returns is checked too, since it becomes room names. Throws a
 * {@link HandshakeError} that carries no detail; the detail goes to the debug log.
 */
export async function authenticate(handshake: HandshakeLike, deps: AuthenticateDeps): Promise<VerifiedToken> {
  const { logger } = deps;
  const origin = handshake.headers.origin;
  if (!deps.checkOrigin(origin)) {
    logger.debug({ origin, address: handshake.address }, 'Socket refused: origin not allowed');
    throw new HandshakeError('origin_not_allowed');
  }
  const token = handshake.auth?.['token'];
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    logger.debug({ address: handshake.address }, 'Socket refused: no usable token in handshake.auth.token');
    throw new HandshakeError('unauthorized');
  }
  const verified = await guardedCall(() => deps.verifyToken(token), deps.timeoutMs, 'verifyToken');
  if (!verified.ok) {
    const code = verified.error instanceof HandshakeError ? verified.error.code : 'unauthorized';
    const reason =
      verified.error.cause instanceof Error ? verified.error.cause.message : verified.error.message;
    if (verified.error instanceof HandshakeError) {
      logger.debug({ address: handshake.address, code, reason }, `Socket refused: ${code}`);
    } else {
      // Not a verdict on the token: the verifier itself failed (timeout, database down, bug).
      logger.warn({ err: verified.error, address: handshake.address }, `verifyToken failed: ${reason}`);
    }
    throw new HandshakeError(code);
  }
  const identity = verified.value as Partial<VerifiedToken> | null | undefined;
  const userId = identity?.userId;
  const sessionId = identity?.sessionId;
  const expiresAt = identity?.expiresAt;
  if (
    !isSnowflake(userId) ||
    (sessionId !== undefined && !isSessionId(sessionId)) ||
    (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)))
  ) {
    logger.warn({ address: handshake.address }, 'Socket refused: verifyToken returned an unusable identity');
    throw new HandshakeError('unauthorized');
  }
  if (expiresAt !== undefined && expiresAt <= Date.now()) throw new HandshakeError('token_expired');
  return {
    userId,
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}
