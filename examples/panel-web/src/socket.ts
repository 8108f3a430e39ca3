import type { ClientToServerEvents, ServerToClientEvents } from '@wolaro/sync-socketio';
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';

/** The panel's one Socket.io connection, typed with the gateway's event maps. */
export type PanelSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface LiveConnection {
  socket: PanelSocket | null;
  connected: boolean;
  /**
   * Bumped on every `connect`, the first one included: events published while the socket was not
   * connected (before it, or during an outage) were missed, so whoever shows server state
   * refetches when it changes (see {@link useOnConnect}).
   */
  connects: number;
}

export interface LiveConnectionCallbacks {
  /** The gateway refused the token (`unauthorized`, `token_expired`) or said `session:expired`. */
  onSessionEnded: (reason: 'unauthorized' | 'token_expired' | 'session_expired') => void;
}

const AUTH_FAILURES = new Set(['unauthorized', 'token_expired']);

/**
 * Opens one Socket.io connection for `token` (same origin, websocket only, token in
 * `auth`, never in the URL) and keeps it alive: socket.io-client reconnects after network drops;
 * this also reconnects after the server dropped the socket or refused it for a transient reason.
 */
export function useLiveConnection(token: string | null, callbacks: LiveConnectionCallbacks): LiveConnection {
  const [state, setState] = useState<LiveConnection>({ socket: null, connected: false, connects: 0 });
  const callbacksRef = useRef(callbacks);
  callbacksRef.current = callbacks;

  useEffect(() => {
    if (!token) {
      setState({ socket: null, connected: false, connects: 0 });
      return;
    }
    const socket: PanelSocket = io({ auth: { token }, transports: ['websocket'] });
    let retries = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let ended = false;

    const retryLater = () => {
      clearTimeout(retryTimer);
      const delay = Math.min(10_000, 500 * 2 ** retries) + Math.random() * 500;
      retries++;
      retryTimer = setTimeout(() => {
        if (!ended && !socket.connected) socket.connect();
      }, delay);
    };

    socket.on('connect', () => {
      retries = 0;
      setState((s) => ({ socket, connected: true, connects: s.connects + 1 }));
    });
    socket.on('disconnect', (reason) => {
      setState((s) => ({ ...s, connected: false }));
      // The server closed it (logout elsewhere, revocation, expiry...): socket.io-client does not
      // retry these by itself. A dead session then fails the handshake with `unauthorized`.
      if (reason === 'io server disconnect') retryLater();
    });
    socket.on('connect_error', (err) => {
      setState((s) => ({ ...s, connected: false }));
      if (socket.active) return; // a network error: socket.io-client is already retrying
      if (AUTH_FAILURES.has(err.message)) {
        ended = true;
        callbacksRef.current.onSessionEnded(err.message as 'unauthorized' | 'token_expired');
        return;
      }
      retryLater(); // refused for a transient reason (`unavailable`, `rate_limited`): back off
    });
    socket.on('session:expired', () => {
      ended = true;
      callbacksRef.current.onSessionEnded('session_expired');
    });

    setState({ socket, connected: false, connects: 0 });
    return () => {
      ended = true;
      clearTimeout(retryTimer);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [token]);

  return state;
}

/**
 * Loads on mount (and whenever `load` changes) and again after each reconnection: events may have
 * been missed while the socket was down.
 */
export function useLiveLoad(live: LiveConnection, load: () => Promise<unknown>): void {
  useEffect(() => {
    void load();
  }, [load]);
  useOnConnect(live.connects, () => void load());
}

/**
 * Runs `callback` after each (re)connection that happens while the component is mounted, not for
 * the connection it mounted with: what it loaded then is already current.
 */
export function useOnConnect(connects: number, callback: () => void): void {
  const seen = useRef(connects);
  const callbackRef = useRef(callback);
  callbackRef.current = callback;
  useEffect(() => {
    if (connects === seen.current) return;
    seen.current = connects;
    callbackRef.current();
  }, [connects]);
}

type EventName = keyof ServerToClientEvents;

/**
 * Listens to one gateway event while mounted; `handler` may change between renders without
 * re-subscribing.
 */
export function useSocketEvent<E extends EventName>(
  socket: PanelSocket | null,
  event: E,
  handler: ServerToClientEvents[E],
): void {
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  useEffect(() => {
    if (!socket) return;
    const listener = ((...args: Parameters<ServerToClientEvents[E]>) =>
      (handlerRef.current as (...a: Parameters<ServerToClientEvents[E]>) => void)(...args)) as never;
    socket.on(event, listener);
    return () => {
      socket.off(event, listener);
    };
  }, [socket, event]);
}

/** Joins a server's room whenever the socket (re)connects (the gateway re-checks the rights). */
export function useGuildRoom(live: LiveConnection, guildId: string): void {
  useEffect(() => {
    if (live.socket && live.connected) live.socket.emit('join:guild', guildId, () => {});
  }, [live.socket, live.connected, guildId]);
}
