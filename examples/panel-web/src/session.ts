/**
 * The panel session token (a JWT from panel-api). It lives in sessionStorage: one tab, gone when the
 * tab closes, never in a cookie or the URL.
 */

const TOKEN_KEY = 'wolaro.panel.token';
const NONCE_KEY = 'wolaro.panel.login_nonce';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the session lasts as long as the page
  }
}

let memoryToken: string | null = null;

export function getToken(): string | null {
  return storage()?.getItem(TOKEN_KEY) ?? memoryToken;
}

export function setToken(token: string): void {
  memoryToken = token;
  storage()?.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  memoryToken = null;
  storage()?.removeItem(TOKEN_KEY);
}

/** Shown on the login page when a `#token=` arrived that this tab did not ask for. */
export const LOGIN_REJECTED =
  'That login link was not started from this tab, so it was ignored. Log in again with the button below.';

let rejectedLogin = false;

/**
 * Starts the Discord login: a fresh random nonce is kept in this tab's sessionStorage and sent to
 * panel-api, which carries it through the OAuth2 `state` and hands it back beside the token. A
 * `#token=` without that nonce (a link someone else made, to log this browser into *their*
 * account) is then refused by {@link consumeTokenFromFragment}.
 *
 * @returns the URL to navigate to
 */
export function startLogin(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const nonce = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  storage()?.setItem(NONCE_KEY, nonce);
  return `/api/auth/discord?nonce=${encodeURIComponent(nonce)}`;
}

/** Whether the last fragment was refused (read once: the login page shows it as a notice). */
export function takeLoginNotice(): string | null {
  const notice = rejectedLogin ? LOGIN_REJECTED : null;
  rejectedLogin = false;
  return notice;
}

/**
 * After the Discord login, panel-api redirects to `/panel/#token=<jwt>&nonce=<nonce>`: keep the
 * token only when the nonce is the one {@link startLogin} stored in this tab (used once), and strip
 * the fragment from the address bar (and history) at once either way.
 *
 * @returns whether a token was accepted
 */
export function consumeTokenFromFragment(): boolean {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return false;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  if (!token) return false;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  const expected = storage()?.getItem(NONCE_KEY) ?? null;
  storage()?.removeItem(NONCE_KEY);
  const nonce = params.get('nonce');
  if (expected === null || nonce === null || nonce !== expected) {
    rejectedLogin = true;
    return false;
  }
  setToken(token);
  return true;
}
