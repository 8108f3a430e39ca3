/**
 * Small helpers shared by the attack suite: a socket.io-client that records every event it gets,
 * and a JSON `fetch`. Each test file builds its own world on top of them.
 */
import { waitFor } from '@wolaro/test-harness';
import { io, type Socket } from 'socket.io-client';
import { api } from '../system/clients.js';

/** One event a socket received, in order. */
export interface Received {
  readonly event: string;
  readonly payload: Record<string, unknown>;
}

/** A connected panel socket with everything it received. */
export interface RecordedSocket {
  readonly socket: Socket;
  readonly received: Received[];
  /** Events named `event` (optionally of one guild). */
  of(event: string, guildId?: string): Received[];
  /** Any event carrying this `guildId`. */
  ofGuild(guildId: string): Received[];
  /** Waits for an event matching `match`, and returns it. */
  waitFor(match: (r: Received) => boolean, message: string, timeoutMs?: number): Promise<Received>;
  /** Resolves once the socket is disconnected, with the reason socket.io gave. */
  readonly disconnected: Promise<string>;
  close(): void;
}

/** Connects like the panel does (`auth: { token }`, WebSocket) and records every event. */
export async function recordSocket(url: string, token: string): Promise<RecordedSocket> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  const received: Received[] = [];
  socket.onAny((event: string, payload: unknown) => {
    received.push({ event, payload: (payload ?? {}) as Record<string, unknown> });
  });
  const disconnected = new Promise<string>((resolve) =>
    socket.once('disconnect', (reason) => resolve(reason)),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return {
    socket,
    received,
    disconnected,
    of: (event, guildId) =>
      received.filter(
        (r) => r.event === event && (guildId === undefined || r.payload['guildId'] === guildId),
      ),
    ofGuild: (guildId) => received.filter((r) => r.payload['guildId'] === guildId),
    waitFor: (match, message, timeoutMs = 10_000) =>
      waitFor(() => received.find(match), { timeoutMs, intervalMs: 5, message }),
    close: () => socket.close(),
  };
}

/** `fetch` with a bearer token and JSON in and out (the system tests' client). */
export async function apiRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const { status, body } = await api<unknown>(baseUrl, method, path, options);
  return { status, body };
}
