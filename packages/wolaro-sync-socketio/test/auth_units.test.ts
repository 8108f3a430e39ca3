import { captureLogger } from '@wolaro/test-harness';
import { errors as joseErrors, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jwtVerifier, type TokenVerifier } from '../src/auth/jwt_verifier.js';
import { HandshakeError } from '../src/errors.js';
import { authenticate, type HandshakeLike, MAX_TOKEN_LENGTH } from '../src/internal/handshake.js';
import { normalizeOrigin, originCheck } from '../src/internal/origin.js';

// Narrow unit tests of the handshake checks (the socket-level tests cover the same paths end to end).

const USER = '100000000000000001';

function handshake(token: unknown, origin?: string): HandshakeLike {
  return {
    auth: token === undefined ? undefined : { token },
    headers: origin === undefined ? {} : { origin },
    address: '127.0.0.1',
  };
}

function deps(verifyToken: TokenVerifier, checkOrigin = (_origin: string | undefined) => true) {
  const logger = captureLogger();
  return { logger, deps: { checkOrigin, verifyToken, timeoutMs: 100, logger } };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HandshakeError) return err.code;
    throw err;
  }
  return 'accepted';
}

const ok: TokenVerifier = async () => ({ userId: USER });

describe('authenticate', () => {
  it('refuses a disallowed origin before looking at the token', async () => {
    let verified = 0;
    const { deps: d } = deps(
      async () => {
        verified++;
        return { userId: USER };
      },
      (origin) => origin === 'https://ok.example',
    );
    expect(await codeOf(authenticate(handshake('t', 'https://evil.example'), d))).toBe('origin_not_allowed');
    expect(verified).toBe(0);
    expect(await codeOf(authenticate(handshake('t', 'https://ok.example'), d))).toBe('accepted');
    expect(verified).toBe(1);
  });

  it('refuses a missing, empty, non-string or oversized token without calling the verifier', async () => {
    let verified = 0;
    const { deps: d } = deps(async () => {
      verified++;
      return { userId: USER };
    });
    for (const token of [undefined, '', 42, { a: 1 }, 'x'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      expect(await codeOf(authenticate(handshake(token), d)), String(token).slice(0, 20)).toBe(
        'unauthorized',
      );
    }
    expect(verified).toBe(0);
    expect(await codeOf(authenticate(handshake('x'.repeat(MAX_TOKEN_LENGTH)), d))).toBe('accepted');
    expect(verified).toBe(1);
  });

  it("passes on the verifier's verdict code, logged at debug", async () => {
    const { deps: d, logger } = deps(async () => {
      throw new HandshakeError('token_expired', { cause: new Error('exp passed') });
    });
    expect(await codeOf(authenticate(handshake('t'), d))).toBe('token_expired');
    expect(logger.has('Socket refused: token_expired', 'debug')).toBe(true);
    expect(logger.count(/verifyToken failed/, 'warn')).toBe(0);
  });

  it('turns a failing or hanging verifier into unauthorized, logged as a warning', async () => {
    const failing = deps(async () => {
      throw new Error('database down');
    });
    expect(await codeOf(authenticate(handshake('t'), failing.deps))).toBe('unauthorized');
    expect(failing.logger.has('verifyToken failed: database down', 'warn')).toBe(true);

    const hanging = deps(() => new Promise(() => {}));
    expect(await codeOf(authenticate(handshake('t'), hanging.deps))).toBe('unauthorized');
    expect(hanging.logger.has('verifyToken failed: verifyToken timed out after 100 ms', 'warn')).toBe(true);
  });

  it('refuses an unusable identity from the verifier', async () => {
    const identities = [
      null,
      {},
      { userId: 'abc' },
      { userId: USER, sessionId: 'has space' },
      { userId: USER, expiresAt: Number.NaN },
      { userId: USER, expiresAt: Number.POSITIVE_INFINITY },
      { userId: USER, expiresAt: String(Date.now() + 60_000) },
    ];
    for (const identity of identities) {
      const { deps: d, logger } = deps(async () => identity as never);
      expect(await codeOf(authenticate(handshake('t'), d)), JSON.stringify(identity)).toBe('unauthorized');
      expect(logger.has('Socket refused: verifyToken returned an unusable identity', 'warn')).toBe(true);
    }
  });

  it('refuses an identity that has already expired, accepts one that has not', async () => {
    const past = deps(async () => ({ userId: USER, expiresAt: Date.now() - 1 }));
    expect(await codeOf(authenticate(handshake('t'), past.deps))).toBe('token_expired');
    const future = Date.now() + 60_000;
    const { deps: d } = deps(async () => ({ userId: USER, sessionId: 's_1', expiresAt: future }));
    expect(await authenticate(handshake('t'), d)).toEqual({
      userId: USER,
      sessionId: 's_1',
      expiresAt: future,
    });
  });

  it('returns only the fields the verifier gave', async () => {
    const { deps: d } = deps(ok);
    const identity = await authenticate(handshake('t'), d);
    expect(identity).toEqual({ userId: USER });
    expect(Object.keys(identity)).toEqual(['userId']);
  });
});

describe('origins', () => {
  it('normalizeOrigin keeps scheme://host[:port] and refuses anything else with a clear message', () => {
    expect(normalizeOrigin('HTTPS://Wolaro.FR')).toBe('https://wolaro.fr');
    expect(normalizeOrigin('http://localhost:5173/')).toBe('http://localhost:5173');
    expect(() => normalizeOrigin('wolaro.fr')).toThrow(
      new TypeError('"wolaro.fr" is not an origin (expected e.g. https://wolaro.fr)'),
    );
    for (const bad of [
      'ftp://wolaro.fr',
      'https://wolaro.fr/panel',
      'https://wolaro.fr?x=1',
      'https://wolaro.fr#a',
    ]) {
      expect(() => normalizeOrigin(bad), bad).toThrow(
        new TypeError(`"${bad}" is not an origin (scheme://host[:port], no path)`),
      );
    }
  });

  it('without an allow-list, any origin passes; a missing or empty one passes unless required', () => {
    const open = originCheck({});
    expect(open('https://anything.example')).toBe(true);
    expect(open('garbage')).toBe(true);
    expect(open(undefined)).toBe(true);
    expect(open('')).toBe(true);
    const strict = originCheck({ requireOrigin: true });
    expect(strict(undefined)).toBe(false);
    expect(strict('')).toBe(false);
    expect(strict('https://anything.example')).toBe(true);
  });

  it('with an allow-list, only its origins pass; garbage and "null" never do', () => {
    const check = originCheck({ allowedOrigins: ['https://a.example', 'http://b.example:8080'] });
    expect(check('https://a.example')).toBe(true);
    expect(check('HTTP://B.example:8080')).toBe(true);
    expect(check('http://a.example')).toBe(false);
    expect(check('https://c.example')).toBe(false);
    expect(check('not a url')).toBe(false);
    expect(check('null')).toBe(false);
  });
});

const KEY = new TextEncoder().encode('k'.repeat(32));

function token(claims: Record<string, unknown>, exp: number = Math.floor(Date.now() / 1000) + 60) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(KEY);
}

async function rejection(promise: Promise<unknown>): Promise<HandshakeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HandshakeError) return err;
    throw err;
  }
  throw new Error('expected a HandshakeError');
}

describe('jwtVerifier options', () => {
  it('needs exactly one of secret or jwks, a secret of at least 32 bytes, a usable jwks', () => {
    const one = 'jwtVerifier: give exactly one of `secret` or `jwks`';
    expect(() => jwtVerifier({})).toThrow(new TypeError(one));
    expect(() => jwtVerifier({ secret: KEY, jwks: { keys: [] } })).toThrow(new TypeError(one));
    const short = 'jwtVerifier: `secret` must be at least 32 bytes (RFC 7518 §3.2)';
    expect(() => jwtVerifier({ secret: 'k'.repeat(31) })).toThrow(new TypeError(short));
    expect(() => jwtVerifier({ secret: KEY.subarray(0, 31) })).toThrow(new TypeError(short));
    expect(() => jwtVerifier({ secret: 42 as unknown as string })).toThrow(new TypeError(short));
    expect(() => jwtVerifier({ secret: 'k'.repeat(32) })).not.toThrow();
    expect(() => jwtVerifier({ secret: KEY })).not.toThrow();
    const badJwks = 'jwtVerifier: `jwks` must be a URL or a JWK set ({ keys: [...] })';
    expect(() => jwtVerifier({ jwks: {} as never })).toThrow(new TypeError(badJwks));
    expect(() => jwtVerifier({ jwks: 'https://issuer.example/.well-known/jwks.json' })).not.toThrow();
    expect(() => jwtVerifier({ jwks: new URL('https://issuer.example/jwks') })).not.toThrow();
    expect(() => jwtVerifier({ jwks: { keys: [] } })).not.toThrow();
    expect(() => jwtVerifier({ jwks: 'not a url' })).toThrow();
  });

  it('refuses the none algorithm in any case, alone or in a list', () => {
    const none = new TypeError('jwtVerifier: `none` is not an algorithm');
    for (const algorithms of [['none'], ['NONE'], ['HS256', 'None']]) {
      expect(() => jwtVerifier({ secret: KEY, algorithms }), algorithms.join()).toThrow(none);
    }
    expect(() => jwtVerifier({ secret: KEY, algorithms: ['HS256', 'HS512'] })).not.toThrow();
  });

  it('verifies with a secret given as bytes exactly as with the same secret as a string', async () => {
    const t = await token({ sub: USER });
    await expect(jwtVerifier({ secret: KEY })(t)).resolves.toMatchObject({ userId: USER });
    await expect(jwtVerifier({ secret: 'k'.repeat(32) })(t)).resolves.toMatchObject({ userId: USER });
  });
});

describe('jwtVerifier verdicts', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const verify = jwtVerifier({ secret: KEY });

  it('refuses an empty or non-string token before verifying it (no cause)', async () => {
    for (const t of ['', undefined, 42]) {
      const err = await rejection(verify(t as string));
      expect(err.code).toBe('unauthorized');
      expect(err.cause, String(t)).toBeUndefined();
    }
  });

  it('refuses a sub that is not a user id and a malformed sid, saying which claim', async () => {
    const sub = await rejection(verify(await token({ sub: 'abc' })));
    expect(sub.code).toBe('unauthorized');
    expect((sub.cause as Error).message).toBe('claim `sub` must be a Discord user id');
    const sid = await rejection(verify(await token({ sub: USER, sid: 'has space' })));
    expect(sid.code).toBe('unauthorized');
    expect((sid.cause as Error).message).toBe('claim `sid` must match [A-Za-z0-9_.:-]{1,128}');
  });

  it('leaves out sessionId when the token has no sid', async () => {
    const identity = await verify(await token({ sub: USER }));
    expect(Object.keys(identity).sort()).toEqual(['expiresAt', 'userId']);
  });

  it('keeps the jose error as the cause: expired, bad signature', async () => {
    const expired = await rejection(verify(await token({ sub: USER }, Math.floor(Date.now() / 1000) - 60)));
    expect(expired.code).toBe('token_expired');
    expect(expired.cause).toBeInstanceOf(joseErrors.JWTExpired);
    const forged = await new SignJWT({ sub: USER })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 60)
      .sign(new TextEncoder().encode('x'.repeat(32)));
    const bad = await rejection(verify(forged));
    expect(bad.code).toBe('unauthorized');
    expect(bad.cause).toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);
  });
});

describe('authenticate at the expiry instant', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses an identity that expires exactly now', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_000_000);
    const { deps: d, logger } = deps(async () => ({ userId: USER, expiresAt: 1_800_000_000_000 }));
    expect(await codeOf(authenticate(handshake('t'), d))).toBe('token_expired');
    expect(logger.count(/./, 'warn')).toBe(0);
  });

  it('logs why a handshake was refused', async () => {
    const { deps: d, logger } = deps(ok, () => false);
    await codeOf(authenticate(handshake('t', 'https://evil.example'), d));
    expect(logger.has('Socket refused: origin not allowed', 'debug')).toBe(true);
    const other = deps(ok);
    await codeOf(authenticate(handshake(''), other.deps));
    expect(other.logger.has('Socket refused: no usable token in handshake.auth.token', 'debug')).toBe(true);
  });
});

describe('the log line of a refused handshake', () => {
  /** Runs a handshake from 203.0.113.7 that must be refused; returns its one log line as `[level, msg, obj]`. */
  async function logged(
    shake: Partial<HandshakeLike>,
    verifyToken: TokenVerifier,
    checkOrigin?: (origin: string | undefined) => boolean,
  ): Promise<[string, string, unknown]> {
    const { deps: d, logger } = deps(verifyToken, checkOrigin);
    const code = await codeOf(authenticate({ ...handshake('t'), address: '203.0.113.7', ...shake }, d));
    expect(code).not.toBe('accepted');
    expect(logger.entries).toHaveLength(1);
    const [entry] = logger.entries;
    return [entry!.level, entry!.msg, entry!.obj];
  }

  it('names the client address on every refusal, and the origin, verdict or error when there is one', async () => {
    expect(await logged({ headers: { origin: 'https://evil.example' } }, ok, () => false)).toEqual([
      'debug',
      'Socket refused: origin not allowed',
      { origin: 'https://evil.example', address: '203.0.113.7' },
    ]);
    expect(await logged({ auth: { token: '' } }, ok)).toEqual([
      'debug',
      'Socket refused: no usable token in handshake.auth.token',
      { address: '203.0.113.7' },
    ]);
    const verdict = async () => {
      throw new HandshakeError('token_expired', { cause: new Error('exp passed') });
    };
    expect(await logged({}, verdict)).toEqual([
      'debug',
      'Socket refused: token_expired',
      { address: '203.0.113.7', code: 'token_expired', reason: 'exp passed' },
    ]);
    const down = new Error('database down');
    const failing = async () => {
      throw down;
    };
    expect(await logged({}, failing)).toEqual([
      'warn',
      'verifyToken failed: database down',
      { err: down, address: '203.0.113.7' },
    ]);
    expect(await logged({}, async () => ({ userId: 'abc' }))).toEqual([
      'warn',
      'Socket refused: verifyToken returned an unusable identity',
      { address: '203.0.113.7' },
    ]);
  });
});
