import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { HandshakeError } from '../errors.js';
import { isSessionId, isSnowflake } from '../internal/ids.js';

/**
 * Who a verified token belongs to: the user, the panel session (optional) and when the token
 * expires (ms since the epoch, optional). The gateway joins `user:{userId}` and
 * `session:{sessionId}` and disconnects the socket at `expiresAt`.
 *
 * @example
 * ```ts
 * const identity: VerifiedToken = { userId: '456', sessionId: 's_1', expiresAt: Date.now() + 3_600_000 };
 * ```
 */
export interface VerifiedToken {
  /** The Discord user id (a snowflake). */
  userId: string;
  /** The panel session the token belongs to; its sockets can be cut with `gateway.revokeSession`. */
  sessionId?: string | undefined;
  /** When the token stops being valid, in ms since the epoch. */
  expiresAt?: number | undefined;
}

/**
 * Checks a handshake token and says who it belongs to. Rejects when the token is not acceptable;
 * reject with `new HandshakeError('token_expired')` to tell the client its token expired (anything
 * else is reported as `unauthorized`).
 *
 * @example
 * ```ts
 * const verifyToken: TokenVerifier = jwtVerifier({ secret: process.env.JWT_SECRET! });
 * const { userId } = await verifyToken(token);
 * ```
 */
export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

/**
 * Options of {@link jwtVerifier}: give `secret` (HMAC) or `jwks` (public keys), not both.
 *
 * @example
 * ```ts
 * const options: JwtVerifierOptions = { secret: process.env.JWT_SECRET!, issuer: 'wolaro-panel', audience: 'wolaro-ws' };
 * ```
 */
export interface JwtVerifierOptions {
  /** HMAC secret shared with whoever signs the tokens: at least 32 bytes (RFC 7518 §3.2). */
  secret?: string | Uint8Array;
  /** Public keys: a JWKS URL (fetched and cached by jose) or a JWK set object. */
  jwks?: string | URL | JSONWebKeySet;
  /** Required `iss` claim (one of). */
  issuer?: string | readonly string[];
  /** Required `aud` claim (one of). */
  audience?: string | readonly string[];
  /**
   * Accepted `alg` values. `none` is never accepted.
   * @defaultValue `['HS256']` with a `secret`; with `jwks`, the algorithms of the keys
   */
  algorithms?: readonly string[];
  /**
   * Seconds of clock skew tolerated on `exp` and `nbf`.
   * @defaultValue 0
   */
  clockToleranceSeconds?: number;
  /**
   * Refuse tokens without `exp`: a panel token that never expires would keep its socket forever.
   * @defaultValue true
   */
  requireExpiry?: boolean;
}

/**
 * Defaults of {@link JwtVerifierOptions}.
 *
 * @example
 * ```ts
 * jwtVerifier({ secret, algorithms: [...DefaultJwtVerifierOptions.algorithms, 'HS512'] });
 * ```
 */
export const DefaultJwtVerifierOptions = {
  algorithms: ['HS256'],
  clockToleranceSeconds: 0,
  requireExpiry: true,
} as const satisfies Partial<JwtVerifierOptions>;

const MIN_SECRET_BYTES = 32;

function keyFrom(options: JwtVerifierOptions): Uint8Array | JWTVerifyGetKey {
  const { secret, jwks } = options;
  if ((secret === undefined) === (jwks === undefined)) {
    throw new TypeError('jwtVerifier: give exactly one of `secret` or `jwks`');
  }
  if (secret !== undefined) {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (!(bytes instanceof Uint8Array) || bytes.byteLength < MIN_SECRET_BYTES) {
      throw new TypeError(
        `jwtVerifier: \`secret\` must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)`,
      );
    }
    return bytes;
  }
  if (typeof jwks === 'string' || jwks instanceof URL) return createRemoteJWKSet(new URL(jwks));
  if (jwks && Array.isArray(jwks.keys)) return createLocalJWKSet(jwks);
  throw new TypeError('jwtVerifier: `jwks` must be a URL or a JWK set ({ keys: [...] })');
}

function identityFrom(payload: JWTPayload): VerifiedToken {
  const { sub, sid, exp } = payload;
  if (!isSnowflake(sub)) {
    throw new HandshakeError('unauthorized', { cause: new Error('claim `sub` must be a Discord user id') });
  }
  if (sid !== undefined && !isSessionId(sid)) {
    throw new HandshakeError('unauthorized', {
      cause: new Error('claim `sid` must match [A-Za-z0-9_.:-]{1,128}'),
    });
  }
  return {
    userId: sub,
    ...(typeof sid === 'string' ? { sessionId: sid } : {}),
    ...(typeof exp === 'number' ? { expiresAt: exp * 1000 } : {}),
  };
}

/**
 * Builds a {@link TokenVerifier} for JWTs with `jose`: HS256 with a shared `secret` by default, or
 * public keys from a `jwks`. Reads the user from `sub`, the session from `sid` and the expiry from
 * `exp`. Unsigned (`alg: none`), malformed, badly signed, wrongly issued or addressed tokens
 * reject with `HandshakeError('unauthorized')`, expired ones with `HandshakeError('token_expired')`.
 * Option mistakes (no key, a short secret) throw at once, not on the first connection.
 *
 * Minting tokens is the app's job (the panel API signs them at login), e.g. with jose's `SignJWT`.
 *
 * @example
 * ```ts
 * import { attachSync, jwtVerifier } from '@wolaro/sync-socketio';
 *
 * const verifyToken = jwtVerifier({ secret: process.env.JWT_SECRET!, issuer: 'wolaro-panel' });
 * attachSync(io, { sync, verifyToken, authorize, listGuilds });
 *
 * // the panel API, at login:
 * const token = await new SignJWT({ sid: session.id })
 *   .setProtectedHeader({ alg: 'HS256' })
 *   .setSubject(user.id).setIssuer('wolaro-panel').setExpirationTime('1h')
 *   .sign(new TextEncoder().encode(process.env.JWT_SECRET!));
 * ```
 */
export function jwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const key = keyFrom(options);
  const algorithms =
    options.algorithms ?? (options.secret !== undefined ? DefaultJwtVerifierOptions.algorithms : undefined);
  if (algorithms?.some((a) => a.toLowerCase() === 'none')) {
    throw new TypeError('jwtVerifier: `none` is not an algorithm');
  }
  const requireExpiry = options.requireExpiry ?? DefaultJwtVerifierOptions.requireExpiry;
  const verifyOptions = {
    ...(algorithms ? { algorithms: [...algorithms] } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer as string | string[] } : {}),
    ...(options.audience !== undefined ? { audience: options.audience as string | string[] } : {}),
    clockTolerance: options.clockToleranceSeconds ?? DefaultJwtVerifierOptions.clockToleranceSeconds,
    ...(requireExpiry ? { requiredClaims: ['exp'] } : {}),
  };
  return async (token) => {
    if (typeof token !== 'string' || token.length === 0) throw new HandshakeError('unauthorized');
    try {
      // jose overloads on the key type; both branches take the same options.
      const { payload } =
        key instanceof Uint8Array
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions);
      return identityFrom(payload);
    } catch (err) {
      if (err instanceof HandshakeError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new HandshakeError('token_expired', { cause: err });
      throw new HandshakeError('unauthorized', { cause: err });
    }
  };
}
