/**
 * What the system tests drive the running system with: the panel API over HTTP and panel sockets
 * (socket.io-client, websocket transport). The emulator is driven through `sys.emulator.control`
 * and the helpers of `@wolaro/test-harness` (postMessage, replyTo, slash, ...).
 */
import { DEMO } from '@wolaro/discord-emulator';
import { waitFor } from '@wolaro/test-harness';
import { io, type Socket } from 'socket.io-client';

/** A JSON response of the API. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  /** When the response arrived (`performance.now()` of this process). */
  at: number;
}

/** Calls the API with a bearer token and a JSON body. */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const at = performance.now();
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, body: body as T, at };
}

/** `GET /api/panel/guilds/:id` → its current version. */
export async function guildVersion(baseUrl: string, token: string, guildId: string = DEMO.guildId) {
  const res = await api<{ version: number }>(baseUrl, 'GET', `/api/panel/guilds/${guildId}`, { token });
  if (res.status !== 200) throw new Error(`GET guild → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.version;
}

/** One event a panel socket received. */
export interface SocketEvent {
  name: string;
  payload: Record<string, unknown>;
  /** `performance.now()` at receipt. */
  at: number;
}

/** A panel socket that records every event it receives. */
export interface PanelSocket {
  readonly socket: Socket;
  readonly events: SocketEvent[];
  /** Events named `name` (optionally matching `pred`). */
  received(name: string, pred?: (payload: Record<string, unknown>) => boolean): SocketEvent[];
  /** Waits for an event named `name` matching `pred`. */
  waitForEvent(
    name: string,
    pred?: (payload: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<SocketEvent>;
  /** `join:guild` with its ack (`{ ok: true }` or `{ ok: false, error }`). */
  join(guildId?: string): Promise<{ ok: boolean; error?: string }>;
  close(): void;
}

/**
 * Connects like the panel does (`auth: { token }`, websocket transport, the panel origin), waits for
 * `connect` (rejects on `connect_error`), then joins the demo guild's room with an ack.
 */
export async function connectPanel(
  baseUrl: string,
  token: string,
  options: { join?: boolean } = {},
): Promise<PanelSocket> {
  const socket = io(baseUrl, {
    auth: { token },
    transports: ['websocket'],
    extraHeaders: { origin: baseUrl },
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    forceNew: true,
  });
  const events: SocketEvent[] = [];
  socket.onAny((name: string, payload: unknown) => {
    events.push({ name, payload: (payload ?? {}) as Record<string, unknown>, at: performance.now() });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 5 s')), 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
  const received = (name: string, pred?: (payload: Record<string, unknown>) => boolean) =>
    events.filter((e) => e.name === name && (pred === undefined || pred(e.payload)));
  const panel: PanelSocket = {
    socket,
    events,
    received,
    waitForEvent: (name, pred, timeoutMs = 5000) =>
      waitFor(() => received(name, pred)[0], {
        timeoutMs,
        intervalMs: 2,
        message: `socket event ${name}`,
      }),
    join: (guildId = DEMO.guildId) =>
      socket.timeout(5000).emitWithAck('join:guild', guildId) as Promise<{ ok: boolean; error?: string }>,
    close: () => {
      socket.close();
    },
  };
  if (options.join !== false) {
    const ack = await panel.join();
    if (!ack.ok) throw new Error(`join:guild refused: ${JSON.stringify(ack)}`);
  }
  return panel;
}
