import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { api, setUnauthorizedHandler } from './api.js';
import { AppShell, type Crumb, type ShellSection } from './components/AppShell.js';
import { NoticeBanner } from './components/NoticeBanner.js';
import { useRevocation } from './hooks/use_revocation.js';
import { GuildPage } from './pages/GuildPage.js';
import { HomePage } from './pages/HomePage.js';
import { LoginPage } from './pages/LoginPage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { navigate, paths, type Route, useRoute } from './router.js';
import { clearToken, getToken, takeLoginNotice } from './session.js';
import { useLiveConnection } from './socket.js';
import type { Me } from './types.js';

const GUILD_SECTIONS: readonly ShellSection[] = [
  { id: 'settings', label: 'Settings', icon: 'settings' },
  { id: 'modules', label: 'Modules', icon: 'modules' },
  { id: 'command-log', label: 'Command log', icon: 'log' },
  { id: 'history', label: 'History', icon: 'history' },
];

const SESSION_ENDED = 'Your session has ended. Log in again to continue.';
const SESSION_EXPIRED = 'Your session expired. Log in again to continue.';

/** Where the page is ("Servers › Wolaro Demo"). */
function crumbsOf(route: Route, guildName: string | null): Crumb[] {
  if (route.name === 'guild') return [{ label: 'Servers', to: paths.home }, { label: guildName ?? 'Server' }];
  if (route.name === 'home') return [{ label: 'Servers' }];
  return [{ label: 'Servers', to: paths.home }, { label: 'Not found' }];
}

export function App() {
  const route = useRoute();
  const [token, setTokenState] = useState(getToken);
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(takeLoginNotice);
  const [guildName, setGuildName] = useState<string | null>(null);
  const loggingOut = useRef(false);

  const endSession = useCallback((message: string | null) => {
    clearToken();
    setTokenState(null);
    setMe(null);
    setNotice(message);
    navigate(paths.login, { replace: true });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (!loggingOut.current) endSession(SESSION_ENDED);
    });
  }, [endSession]);

  const live = useLiveConnection(token, {
    onSessionEnded: (reason) => endSession(reason === 'unauthorized' ? SESSION_ENDED : SESSION_EXPIRED),
  });
  const { revocation, dismiss } = useRevocation(live, route, guildName);

  // Guards: the login page for signed-out users, the guild list for signed-in ones.
  useEffect(() => {
    if (!token && route.name !== 'login') navigate(paths.login, { replace: true });
    else if (token && route.name === 'login') navigate(paths.home, { replace: true });
  }, [token, route.name]);

  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    api.me().then(
      (m) => {
        if (!cancelled) setMe(m);
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [token]);

  const logout = async () => {
    loggingOut.current = true;
    try {
      await api.logout();
    } catch {
      // the session is gone either way
    } finally {
      loggingOut.current = false;
    }
    endSession(null);
  };

  if (!token || route.name === 'login') return <LoginPage notice={notice} />;

  let page: ReactNode;
  if (route.name === 'home') page = <HomePage live={live} />;
  else if (route.name === 'guild')
    page = (
      <GuildPage
        key={route.guildId}
        guildId={route.guildId}
        live={live}
        userId={me?.user.id ?? null}
        onGuildName={setGuildName}
      />
    );
  else page = <NotFoundPage path={route.path} />;

  return (
    <AppShell
      username={me?.user.username ?? null}
      connected={live.connected}
      onLogout={() => void logout()}
      current={route.name === 'home' ? 'home' : route.name === 'guild' ? 'guild' : 'other'}
      guildName={route.name === 'guild' ? (guildName ?? undefined) : undefined}
      sections={route.name === 'guild' ? GUILD_SECTIONS : undefined}
      crumbs={crumbsOf(route, guildName)}
    >
      {revocation && (
        <NoticeBanner title={revocation.title} message={revocation.message} onDismiss={dismiss} />
      )}
      {page}
    </AppShell>
  );
}
