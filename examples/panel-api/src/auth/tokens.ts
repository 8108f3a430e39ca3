import { createSession, type PanelSession, type Queryable } from '@wolaro/db';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../http/errors.js';

/** `iss` of every panel token; the Socket.io verifier requires it too. */
export const TOKEN_ISSUER = 'wolaro-panel-api';

/** Who a verified panel token belongs to. */
export interface TokenClaims {
  userId: string;
  sessionId: string;
  expiresAt: number;
}

const key = (secret: string) => new TextEncoder().encode(secret);

/**
 * Mints a panel JWT (HS256): `sub` = user id, `sid` = session id, `exp` = the session's expiry.
 *
 * @example
 * ```ts
 * const token = await signSessionToken(config.jwtSecret, { userId, sessionId, expiresAt: session.expiresAt });
 * ```
 */
export function signSessionToken(
  secret: string,
  input: { userId: string; sessionId: string; expiresAt: Date },
): Promise<string> {
  return new SignJWT({ sid: input.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.userId)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(input.expiresAt.getTime() / 1000))
    .sign(key(secret));
}

/**
 * Opens a panel session (a `panel_sessions` row expiring in `ttlSeconds`) and mints its JWT.
 *
 * @example
 * ```ts
 * const { token, session } = await openSession(pool, config.jwtSecret, { userId, ttlSeconds: 3600 });
 * ```
 */
export async function openSession(
  db: Queryable,
  secret: string,
  input: { userId: string; username?: string | null | undefined; ttlSeconds: number },
): Promise<{ token: string; session: PanelSession }> {
  const session = await createSession(db, input);
  const token = await signSessionToken(secret, {
    userId: input.userId,
    sessionId: session.sessionId,
    expiresAt: session.expiresAt,
  });
  return { token, session };
}

/**
 * Verifies a panel JWT: HS256 only (never `none`), our issuer, `exp` required. Throws a 401
 * `ApiError` (`token_expired` for an expired one).
 */
export async function verifySessionToken(secret: string, token: string): Promise<TokenClaims> {
  // A token whose signature was already verified is not verified again until it expires (the
  // session row is still checked on every request): it saves a WebCrypto round trip per request.
  const cached = verified.get(token);
  if (cached && cached.secret === secret && cached.claims.expiresAt > Date.now()) return cached.claims;
  const claims = await verifyUncached(secret, token);
  verified.set(token, { secret, claims }, { ttl: Math.max(1, claims.expiresAt - Date.now()) });
  return claims;
}

const verified = new LRUCache<string, { secret: string; claims: TokenClaims }>({
  max: 10_000,
  ttl: 3_600_000,
});

async function verifyUncached(secret: string, token: string): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      requiredClaims: ['exp', 'sub', 'sid'],
    });
    const { sub, sid, exp } = payload;
    if (
      typeof sub !== 'string' ||
      !/^\d{1,20}$/.test(sub) ||
      typeof sid !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw new ApiError(401, 'unauthorized', 'Invalid token');
    }
    return { userId: sub, sessionId: sid, expiresAt: exp * 1000 };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof joseErrors.JWTExpired)
      throw new ApiError(401, 'token_expired', 'Token expired: log in again');
    throw new ApiError(401, 'unauthorized', 'Invalid token');
  }
}
