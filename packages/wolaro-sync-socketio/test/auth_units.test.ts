import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../../test/support/index.js';
import { authenticate, type HandshakeLike, MAX_TOKEN_LENGTH } from '../src/auth/handshake.js';
import type { TokenVerifier } from '../src/auth/jwt_verifier.js';
import { normalizeOrigin, originCheck } from '../src/auth/origin.js';
import { HandshakeError } from '../src/errors.js';

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
