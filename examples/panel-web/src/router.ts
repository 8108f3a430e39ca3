import { useSyncExternalStore } from 'react';

/** Where panel-api serves the app (vite `base`). */
export const BASE = '/panel';

export type Route =
  | { name: 'login' }
  | { name: 'home' }
  | { name: 'guild'; guildId: string }
  | { name: 'not-found'; path: string };

export const paths = {
  login: `${BASE}/login`,
  home: `${BASE}/home`,
  guild: (guildId: string) => `${BASE}/guilds/${encodeURIComponent(guildId)}`,
};

/** `/panel/guilds/123` → `{ name: 'guild', guildId: '123' }`. */
export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === BASE || path === `${BASE}/index.html` || path === paths.login || path === '/') {
    return { name: 'login' };
  }
  if (path === paths.home) return { name: 'home' };
  const guild = /^\/panel\/guilds\/(\d{1,20})$/.exec(path);
  if (guild?.[1]) return { name: 'guild', guildId: guild[1] };
  return { name: 'not-found', path: pathname };
}

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

const currentPath = () => window.location.pathname;

/** Goes to `path` inside the app (no reload). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === currentPath()) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  notify();
  if (!options.replace) window.scrollTo(0, 0);
}

/** The current route; re-renders on navigation and back/forward. */
export function useRoute(): Route {
  const path = useSyncExternalStore(subscribe, currentPath, currentPath);
  return parseRoute(path);
}
