import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the short-lived cookie that carries the OAuth2 `state` between login and callback. */
export const STATE_COOKIE = 'wolaro_oauth_state';
/** How long a login may take between `/api/auth/discord` and the callback. */
export const STATE_TTL_SECONDS = 600;

const sign = (secret: string, value: string) =>
  createHmac('sha256', secret).update(`oauth-state:${value}`).digest('base64url');

/** A fresh random `state` and the signed cookie value that proves this browser asked for it. */
export function createOAuthState(secret: string): { state: string; cookie: string } {
  const state = randomBytes(24).toString('base64url');
  return { state, cookie: `${state}.${sign(secret, state)}` };
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
