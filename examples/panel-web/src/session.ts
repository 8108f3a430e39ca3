/**
 * The panel session token (a JWT from panel-api). It lives in sessionStorage: one tab, gone when the
 * tab closes, never in a cookie or the URL.
 */

const TOKEN_KEY = 'wolaro.panel.token';

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

/**
 * After the Discord login, panel-api redirects to `/panel/#token=<jwt>`: keep the token and strip
 * the fragment from the address bar (and history) at once.
 *
 * @returns whether a token was found
 */
export function consumeTokenFromFragment(): boolean {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return false;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  if (!token) return false;
  setToken(token);
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return true;
}
