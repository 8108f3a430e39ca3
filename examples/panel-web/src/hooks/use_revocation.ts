import { useEffect, useState } from 'react';
import { navigate, paths, type Route } from '../router.js';
import { type LiveConnection, useSocketEvent } from '../socket.js';

/** A removed access, told on the page (never a blocking browser dialog). */
export interface Revocation {
  title: string;
  message: string;
}

/**
 * Listens for `permission:revoked` (sent to this user's sockets only): leaves the server's page
 * when it is the one shown and keeps a notice until it is dismissed or another server is opened.
 */
export function useRevocation(live: LiveConnection, route: Route, guildName: string | null) {
  const [revocation, setRevocation] = useState<Revocation | null>(null);
  const shownGuild = route.name === 'guild' ? route.guildId : null;

  useSocketEvent(live.socket, 'permission:revoked', (e) => {
    const here = shownGuild === e.guildId;
    setRevocation({
      title:
        here && guildName ? `You can no longer manage ${guildName}` : 'You can no longer manage a server',
      message: `${e.reason}.`,
    });
    if (here) navigate(paths.home);
  });
  useEffect(() => {
    if (shownGuild !== null) setRevocation(null);
  }, [shownGuild]);

  return { revocation, dismiss: () => setRevocation(null) };
}
