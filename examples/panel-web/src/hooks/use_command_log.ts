import { useCallback, useState } from 'react';
import { ApiError, api } from '../api.js';
import { fromAudit, fromEvent, type LogItem, mergeFetched, prependLive } from '../logs.js';
import { type LiveConnection, useLiveLoad, useSocketEvent } from '../socket.js';

/**
 * A server's command log, newest first: the audit log loaded on mount and after reconnections,
 * with `command:executed` events added live.
 */
export function useCommandLog(guildId: string, live: LiveConnection): LogItem[] | null {
  const [logs, setLogs] = useState<LogItem[] | null>(null);

  const load = useCallback(async () => {
    try {
      const fetched = (await api.logs(guildId)).map(fromAudit);
      setLogs((current) => mergeFetched(fetched, current ?? []));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setLogs((current) => current ?? []);
    }
  }, [guildId]);

  useLiveLoad(live, load);
  useSocketEvent(live.socket, 'command:executed', (e) => {
    if (e.guildId === guildId) setLogs((current) => prependLive(current ?? [], fromEvent(e)));
  });

  return logs;
}
