import type { Response } from 'express';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authOf, guildIdOf } from '../src/auth/middleware.js';
import { checkOAuthState, createOAuthState, nonceOfState, readCookie } from '../src/auth/oauth_state.js';
import { signSessionToken, TOKEN_ISSUER, verifySessionToken } from '../src/auth/tokens.js';
import { ApiError } from '../src/http/errors.js';

// Narrow unit tests of the panel API's token and OAuth-state checks (the HTTP tests cover the
// same paths end to end).

const SECRET = 'unit-test-secret-that-is-long-enough-0123456789';
const OTHER = 'another-secret-that-is-long-enough-9876543210';
const USER = '300000000000000001';

const inOneHour = () => new Date(Date.now() + 3_600_000);

async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status: number; code: string; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected a rejection');
}

function forge(
  claims: Record<string, unknown>,
  options: { issuer?: string; alg?: string; exp?: number } = {},
) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setIssuedAt();
  if (options.issuer !== '') jwt.setIssuer(options.issuer ?? TOKEN_ISSUER);
  if (options.exp !== 0) jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(new TextEncoder().encode(SECRET));
}

const INVALID = { status: 401, code: 'unauthorized', message: 'Invalid token' };

describe('session tokens', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('round-trip: sub, sid and exp (in ms, to the second)', async () => {
    const expiresAt = inOneHour();
    const token = await signSessionToken(SECRET, { userId: USER, sessionId: 's_1', expiresAt });
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(await verifySessionToken(SECRET, token)).toEqual({
      userId: USER,
      sessionId: 's_1',
      expiresAt: Math.floor(expiresAt.getTime() / 1000) * 1000,
    });
  });

  it('refuses a token signed with another secret, even one verified before with the right secret', async () => {
    const token = await signSessionToken(SECRET, { userId: USER, sessionId: 's_2', expiresAt: inOneHour() });
    expect(await verifySessionToken(SECRET, token)).toMatchObject({ userId: USER }); // now cached
    expect(await failure(verifySessionToken(OTHER, token))).toEqual(INVALID);
    const forged = await signSessionToken(OTHER, { userId: USER, sessionId: 's_3', expiresAt: inOneHour() });
    expect(await failure(verifySessionToken(SECRET, forged))).toEqual(INVALID);
  });

  it('refuses an expired token with its own code, also when it was verified before it expired', async () => {
    const expired = await forge({ sub: USER, sid: 's_4' }, { exp: Math.floor(Date.now() / 1000) - 10 });
    expect(await failure(verifySessionToken(SECRET, expired))).toEqual({
      status: 401,
      code: 'token_expired',
      message: 'Token expired: log in again',
    });
    const token = await signSessionToken(SECRET, { userId: USER, sessionId: 's_5', expiresAt: inOneHour() });
    expect(await verifySessionToken(SECRET, token)).toMatchObject({ sessionId: 's_5' }); // now cached
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * 3_600_000);
    expect(await failure(verifySessionToken(SECRET, token))).toMatchObject({ code: 'token_expired' });
  });

  it('refuses tokens of another issuer, another algorithm, or without sub, sid or exp', async () => {
    const cases = {
      'other issuer': await forge({ sub: USER, sid: 's' }, { issuer: 'someone-else' }),
      'no issuer': await forge({ sub: USER, sid: 's' }, { issuer: '' }),
      HS512: await forge({ sub: USER, sid: 's' }, { alg: 'HS512' }),
      'no sub': await forge({ sid: 's' }),
      'sub not a snowflake': await forge({ sub: 'abc', sid: 's' }),
      'sub too long': await forge({ sub: '1'.repeat(21), sid: 's' }),
      'no sid': await forge({ sub: USER }),
      'sid not a string': await forge({ sub: USER, sid: 5 }),
      'no exp': await forge({ sub: USER, sid: 's' }, { exp: 0 }),
      garbage: 'not.a.token',
    };
    for (const [label, token] of Object.entries(cases)) {
      expect(await failure(verifySessionToken(SECRET, token)), label).toEqual(INVALID);
    }
  });
});

describe('OAuth state', () => {
  it('accepts the state with its own signed cookie only', () => {
    const { state, cookie } = createOAuthState(SECRET);
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(cookie.startsWith(`${state}.`)).toBe(true);
    expect(checkOAuthState(SECRET, cookie, state)).toBe(true);
    const other = createOAuthState(SECRET);
    expect(other.state).not.toBe(state);
    expect(checkOAuthState(SECRET, cookie, other.state)).toBe(false); // state of another login
    expect(checkOAuthState(OTHER, cookie, state)).toBe(false); // signed with another secret
    expect(checkOAuthState(SECRET, `${state}.${'A'.repeat(43)}`, state)).toBe(false); // bad signature
    expect(checkOAuthState(SECRET, `${state}.`, state)).toBe(false);
    expect(checkOAuthState(SECRET, `.${cookie.split('.')[1]}`, '')).toBe(false);
    expect(checkOAuthState(SECRET, cookie.split('.')[1], state)).toBe(false); // no dot
    expect(checkOAuthState(SECRET, undefined, state)).toBe(false);
    expect(checkOAuthState(SECRET, cookie, undefined)).toBe(false);
    expect(checkOAuthState(SECRET, cookie, `${state}x`)).toBe(false);
    // The signature covers the value: another state with this cookie's signature is refused.
    expect(checkOAuthState(SECRET, `${other.state}.${cookie.split('.')[1]}`, other.state)).toBe(false);
  });

  it('readCookie finds one cookie among others and decodes it', () => {
    expect(readCookie('a=1; wolaro=x%20y; b=2', 'wolaro')).toBe('x y');
    expect(readCookie(' wolaro = v ', 'wolaro')).toBe('v');
    expect(readCookie('xwolaro=1; wolaro=2', 'wolaro')).toBe('2');
    expect(readCookie('flag; wolaro=3', 'wolaro')).toBe('3');
    expect(readCookie('a=1', 'wolaro')).toBeUndefined();
    expect(readCookie(undefined, 'wolaro')).toBeUndefined();
    expect(readCookie('', 'wolaro')).toBeUndefined();
    expect(readCookie('wolaro=%E0%A4%A', 'wolaro')).toBeUndefined(); // bad escape: ignored
    expect(readCookie('wolaro=a=b', 'wolaro')).toBe('a=b');
    expect(readCookie('wolarox', 'wolaro')).toBeUndefined(); // no '=': not a cookie of that name
    expect(readCookie('wolaro=%E0; wolaro=ok', 'wolaro')).toBeUndefined(); // the first one counts
  });
});

describe('the issuer and the login nonce', () => {
  it('tokens carry iss wolaro-panel-api, the issuer the Socket.io verifier is configured with', async () => {
    expect(TOKEN_ISSUER).toBe('wolaro-panel-api');
    const token = await signSessionToken(SECRET, { userId: USER, sessionId: 's1', expiresAt: inOneHour() });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(payload.iss).toBe('wolaro-panel-api');
  });

  it('a login nonce is 16 to 128 base64url characters, carried at the end of the state', () => {
    for (const nonce of ['a'.repeat(16), 'A-z_9'.repeat(4), 'n'.repeat(128)]) {
      const { state } = createOAuthState(SECRET, nonce);
      expect(state.endsWith(nonce), nonce).toBe(true);
      expect(nonceOfState(state), nonce).toBe(nonce);
    }
    for (const nonce of [
      '',
      'a'.repeat(15),
      'n'.repeat(129),
      `${'a'.repeat(16)}!`,
      `!${'a'.repeat(16)}`,
      'a b'.repeat(8),
    ]) {
      expect(() => createOAuthState(SECRET, nonce), JSON.stringify(nonce)).toThrow(
        new TypeError('not a login nonce'),
      );
    }
    expect(nonceOfState(createOAuthState(SECRET).state)).toBeUndefined();
  });
});

describe('the guards of a route', () => {
  const res = (locals: Record<string, unknown>) => ({ locals }) as unknown as Response;

  it('say which guard a route is missing', () => {
    expect(() => authOf(res({}))).toThrow(new ApiError(500, 'internal', 'Route is missing requireSession'));
    expect(() => guildIdOf(res({}))).toThrow(
      new ApiError(500, 'internal', 'Route is missing requireGuildManager'),
    );
    try {
      authOf(res({}));
    } catch (err) {
      expect([(err as ApiError).status, (err as ApiError).code]).toEqual([500, 'internal']);
    }
    const auth = { userId: USER, username: null, sessionId: 's1', expiresAt: inOneHour() };
    expect(authOf(res({ auth }))).toBe(auth);
    expect(guildIdOf(res({ guildId: '1' }))).toBe('1');
  });
});
