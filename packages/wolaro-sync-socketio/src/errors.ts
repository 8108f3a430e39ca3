/**
 * Why a Socket.io connection was refused. It is the `message` of the error the client receives on
 * `connect_error`, and `data.code` too:
 *
 * - `unauthorized`: no token, a malformed one, a bad signature, `alg: none`, wrong issuer or audience,
 *   or an identity the gateway cannot use;
 * - `token_expired`: the token's `exp` has passed;
 * - `origin_not_allowed`: the `Origin` header is not in `allowedOrigins` (or is missing while
 *   `requireOrigin` is set);
 * - `rate_limited`: too many handshakes from this address or of this user lately
 *   (`connectionRateLimit`); retry later, with a back-off;
 * - `unavailable`: the gateway was closed (the server is shutting down).
 *
 * @example
 * ```ts
 * socket.on('connect_error', (err) => {
 *   const code = (err as { data?: { code?: HandshakeErrorCode } }).data?.code;
 *   if (code === 'token_expired') refreshTokenAndReconnect();
 * });
 * ```
 */
export type HandshakeErrorCode =
  | 'unauthorized'
  | 'token_expired'
  | 'origin_not_allowed'
  | 'rate_limited'
  | 'unavailable';

/**
 * A refused handshake, passed to Socket.io's `next(err)`: `message` is the {@link HandshakeErrorCode}
 * and `data` is `{ code }`, the only two things Socket.io sends to the client, so no detail about
 * the token or the server leaks. Token verifiers throw it too: a custom `verifyToken` that throws
 * `new HandshakeError('token_expired')` refuses with that reason; anything else it throws becomes
 * `unauthorized`.
 *
 * @example
 * ```ts
 * const verifyToken: TokenVerifier = async (token) => {
 *   const session = await db.findSession(token);
 *   if (!session) throw new HandshakeError('unauthorized');
 *   if (session.expiresAt <= Date.now()) throw new HandshakeError('token_expired');
 *   return { userId: session.userId, sessionId: session.id, expiresAt: session.expiresAt };
 * };
 * ```
 */
export class HandshakeError extends Error {
  /** The reason, also the `message`. */
  readonly code: HandshakeErrorCode;
  /** What Socket.io sends to the client beside the message. */
  readonly data: { readonly code: HandshakeErrorCode };

  constructor(code: HandshakeErrorCode, options?: { cause?: unknown }) {
    super(code, options);
    this.code = code;
    this.data = { code };
  }

  override get name(): string {
    return 'HandshakeError';
  }
}
