/**
 * What the system tests drive the running system with: the panel API over HTTP, panel sockets
 * (socket.io-client, websocket transport), and the Discord emulator's `/_emulator` control API.
 */
import type { ApiMessage, InteractionView } from '@wolaro/discord-emulator';
import { io, type Socket } from 'socket.io-client';
import { waitFor } from '../support/index.js';
import { DEMO } from './harness.js';

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

/** The Discord emulator's control API (`/_emulator`), over HTTP. */
export async function control<T>(
  emulatorUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${emulatorUrl}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_emulator${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `POST /_emulator/channels/{general}/messages { authorId, content }` (→ MESSAGE_CREATE to the bot). */
export function postMessage(
  emulatorUrl: string,
  content: string,
  authorId: string = DEMO.users.member,
  channelId: string = DEMO.channels.general,
): Promise<ApiMessage> {
  return control<ApiMessage>(emulatorUrl, 'POST', `/channels/${channelId}/messages`, { authorId, content });
}

/** `GET /_emulator/channels/:id/messages`. */
export function channelMessages(emulatorUrl: string, channelId: string = DEMO.channels.general) {
  return control<ApiMessage[]>(emulatorUrl, 'GET', `/channels/${channelId}/messages`);
}

/** The bot's reply to one of `messages` (a message whose `message_reference` points at it), if any yet. */
export async function findReply(emulatorUrl: string, messages: readonly ApiMessage[]) {
  const ids = new Set(messages.map((m) => m.id));
  const all = await channelMessages(emulatorUrl, messages[0]?.channel_id);
  return all.find((m) => m.message_reference?.message_id && ids.has(m.message_reference.message_id));
}

/** Waits for the bot's reply to `message`. */
export function replyTo(emulatorUrl: string, message: ApiMessage, timeoutMs = 5000): Promise<ApiMessage> {
  return waitFor(() => findReply(emulatorUrl, [message]), {
    timeoutMs,
    intervalMs: 5,
    message: `the bot's reply to "${message.content}"`,
  });
}

/**
 * Posts `content` again and again (each post waits for the previous one) until the bot replies to
 * one of them: the way to learn the earliest moment the bot acts on a new prefix without a fixed
 * sleep. Returns the reply, the message it answers (and its index: 0 = the first post was answered),
 * when the reply was seen, and how many were posted.
 */
export async function postUntilReplied(
  emulatorUrl: string,
  content: string,
  timeoutMs = 5000,
): Promise<{
  reply: ApiMessage;
  answered: ApiMessage;
  answeredIndex: number;
  seenAt: number;
  posts: number;
}> {
  const posted: ApiMessage[] = [];
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (posted.length < 200) posted.push(await postMessage(emulatorUrl, content));
    const reply = await findReply(emulatorUrl, posted);
    if (reply) {
      const seenAt = performance.now();
      const answeredIndex = posted.findIndex((m) => m.id === reply.message_reference?.message_id);
      return { reply, answered: posted[answeredIndex]!, answeredIndex, seenAt, posts: posted.length };
    }
  }
  throw new Error(`no reply to "${content}" within ${timeoutMs} ms (${posted.length} posted)`);
}

/** `POST /_emulator/interactions` (→ INTERACTION_CREATE), then the bot's response once recorded. */
export async function slash(
  emulatorUrl: string,
  command: string,
  userId: string,
  options: Record<string, string> = {},
): Promise<InteractionView> {
  const { id } = await control<{ id: string }>(emulatorUrl, 'POST', '/interactions', {
    guildId: DEMO.guildId,
    channelId: DEMO.channels.general,
    userId,
    command,
    options,
  });
  return waitFor(
    async () => {
      const view = await control<InteractionView>(emulatorUrl, 'GET', `/interactions/${id}`);
      return view.response ? view : undefined;
    },
    { timeoutMs: 5000, intervalMs: 5, message: `the bot's response to /${command}` },
  );
}
