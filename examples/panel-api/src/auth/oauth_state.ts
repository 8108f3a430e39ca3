import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the short-lived cookie that carries the OAuth2 `state` between login and callback. */
export const STATE_COOKIE = 'wolaro_oauth_state';
/** How long a login may take between `/api/auth/discord` and the callback. */
export const STATE_TTL_SECONDS = 600;

const sign = (secret: string, value: string) =>
  createHmac('sha256', secret).update(`oauth-state:${value}`).digest('base64url');

/** Length of the random part of a `state` (24 bytes in base64url); the panel's nonce follows it. */
const RANDOM_LENGTH = 32;
/** What a login nonce from the panel looks like (base64url, 16 to 128 characters). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * A fresh random `state` and the signed cookie value that proves this browser asked for it. The
 * panel's login `nonce`, when given, rides at the end of the state, so it comes back through
 * Discord untouched and covered by the cookie's signature (see {@link nonceOfState}).
 */
export function createOAuthState(secret: string, nonce?: string): { state: string; cookie: string } {
  if (nonce !== undefined && !NONCE_PATTERN.test(nonce)) throw new TypeError('not a login nonce');
  const state = `${randomBytes(24).toString('base64url')}${nonce ?? ''}`;
  return { state, cookie: `${state}.${sign(secret, state)}` };
}

/** The panel's login nonce carried by a checked `state`, if it had one. */
export function nonceOfState(state: string): string | undefined {
  const nonce = state.slice(RANDOM_LENGTH);
  return NONCE_PATTERN.test(nonce) ? nonce : undefined;
}

/** Whether `cookie` is a value from {@link createOAuthState} (untampered) for exactly `state`. */
export function checkOAuthState(
  secret: string,
  cookie: string | undefined,
  state: string | undefined,
): boolean {
  if (!cookie || !state) return false;
  const dot = cookie.lastIndexOf('.');
  if (dot <= 0) return false;
  const value = cookie.slice(0, dot);
  const expected = Buffer.from(sign(secret, value));
  const given = Buffer.from(cookie.slice(dot + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  const a = Buffer.from(value);
  const b = Buffer.from(state);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
