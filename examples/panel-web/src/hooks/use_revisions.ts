import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { type LiveConnection, useLiveLoad, useSocketEvent } from '../socket.js';
import type { Revision } from '../types.js';

/**
 * A server's revision history, newest first: loaded on mount, after reconnections and reloads,
 * and again whenever the version shown is newer than the newest revision listed.
 */
export function useRevisions(guildId: string, live: LiveConnection, version: number | undefined) {
  const [revisions, setRevisions] = useState<Revision[] | null>(null);

  const reload = useCallback(async () => {
    try {
      setRevisions(await api.revisions(guildId));
    } catch {
      setRevisions((current) => current ?? []);
    }
  }, [guildId]);

  useLiveLoad(live, reload);
  useSocketEvent(live.socket, 'guild:reload', (e) => {
    if (e.guildId === guildId) void reload();
  });

  // Keep the history in step with the version shown.
  const newest = revisions?.[0]?.version;
  useEffect(() => {
    if (version === undefined || newest === undefined || newest >= version) return;
    const timer = setTimeout(() => void reload(), 250);
    return () => clearTimeout(timer);
  }, [version, newest, reload]);

  return { revisions, reload };
}
