import { once } from 'node:events';
import { Client, type ClientOptions, Events, GatewayIntentBits } from 'discord.js';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { type DiscordEmulator, type EmulatorOptions, startEmulator } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop();
    await cleanup?.();
  }
});

/** Starts an emulator on a free port, stopped after the test. */
export async function emulator(options: EmulatorOptions = {}): Promise<DiscordEmulator> {
  const instance = await startEmulator({ port: 0, ...options });
  cleanups.push(() => instance.stop());
  return instance;
}

/** Every intent the tests use (privileged ones included). */
export const ALL_TEST_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

/** A discord.js client pointed at the emulator (destroyed after the test); not logged in. */
export function client(instance: DiscordEmulator, options: Partial<ClientOptions> = {}): Client {
  const created = new Client({
    intents: ALL_TEST_INTENTS,
    ...options,
    rest: { api: instance.apiUrl, ...options.rest },
  });
  cleanups.push(() => created.destroy());
  return created;
}

/** Logs a client in and waits for `clientReady` (all guilds received). */
export async function ready(
  instance: DiscordEmulator,
  options: Partial<ClientOptions> = {},
): Promise<Client<true>> {
  const created = client(instance, options);
  const isReady = once(created, Events.ClientReady);
  await created.login(instance.botToken);
  await isReady;
  if (!created.isReady()) throw new Error('client not ready');
  return created;
}

/** Resolves with the arguments of the next `event` matching `predicate`, or rejects after `ms`. */
export function nextEvent<A extends unknown[]>(
  emitter: {
    on(event: string, listener: (...args: A) => void): unknown;
    off(event: string, listener: (...args: A) => void): unknown;
  },
  event: string,
  predicate: (...args: A) => boolean = () => true,
  ms = 5000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`Timed out waiting for ${event}`));
    }, ms);
    const listener = (...args: A) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}

/** Polls until `check` returns a value that isn't null/undefined/false. */
export async function until<T>(
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A gateway payload as received by {@link RawGateway}. */
export interface Payload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A raw `ws` gateway client recording payloads and the close event. */
export class RawGateway {
  readonly ws: WebSocket;
  readonly received: Payload[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters: { predicate: (p: Payload) => boolean; resolve: (p: Payload) => void }[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('message', (data) => {
      const payload = JSON.parse(data.toString()) as Payload;
      this.received.push(payload);
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(payload)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(payload);
        }
      }
    });
    cleanups.push(() => {
      if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
        this.ws.terminate();
    });
  }

  /** Waits for the socket to open. */
  async open(): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) await once(this.ws, 'open');
  }

  /** Sends a payload. */
  send(op: number, d: unknown): void {
    this.ws.send(JSON.stringify({ op, d }));
  }

  /** The first received (or next) payload matching. */
  next(predicate: (p: Payload) => boolean, ms = 5000): Promise<Payload> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Timed out waiting for a gateway payload')), ms);
      this.#waiters.push({
        predicate,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  /** The dispatch `t` (the first received, or the next). */
  dispatch(t: string, ms?: number): Promise<Payload> {
    return this.next((p) => p.op === 0 && p.t === t, ms);
  }
}

/** Opens a raw gateway connection (`?v=10&encoding=json`) and waits for HELLO. */
export async function rawGateway(
  instance: DiscordEmulator,
  query = '?v=10&encoding=json',
): Promise<RawGateway> {
  const gateway = new RawGateway(`${instance.gatewayUrl}${query}`);
  await gateway.open();
  await gateway.next((p) => p.op === 10);
  return gateway;
}

/** IDENTIFY data with the usual properties. */
export function identify(token: string, intents: number, extra: Record<string, unknown> = {}) {
  return { token, intents, properties: { os: 'linux', browser: 'test', device: 'test' }, ...extra };
}

/** `fetch` JSON helper returning status, headers and parsed body. */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
    redirect: 'manual',
  });
  const text = await res.text();
  let parsed: unknown = text;
  if (res.headers.get('content-type')?.includes('application/json')) parsed = text ? JSON.parse(text) : null;
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The `Authorization` header of the bot. */
export function botAuth(instance: DiscordEmulator): Record<string, string> {
  return { authorization: `Bot ${instance.botToken}` };
}

/** An OAuth2 access token of `userId` for `scope`, through the authorization-code flow. */
export async function bearerToken(instance: DiscordEmulator, userId: string, scope: string): Promise<string> {
  const authorize = new URL(`${instance.url}/oauth2/authorize`);
  const params = {
    client_id: instance.applicationId,
    redirect_uri: 'http://localhost/cb',
    response_type: 'code',
    scope,
    user_id: userId,
  };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  const code = new URL(
    (await fetch(authorize, { redirect: 'manual' })).headers.get('location') ?? '',
  ).searchParams.get('code');
  const res = await fetch(`${instance.apiUrl}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: 'http://localhost/cb',
      client_id: instance.applicationId,
      client_secret: instance.clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
