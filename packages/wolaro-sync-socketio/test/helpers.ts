import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { type ChannelMap, type Logger, SyncClient } from '@wolaro/sync';
import { redisUrl, uniquePrefix } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { type DefaultEventsMap, Server } from 'socket.io';
import { io as connectClient, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  type AttachSyncOptions,
  attachSync,
  type ClientToServerEvents,
  jwtVerifier,
  type ServerToClientEvents,
  type SocketData,
  type SyncGateway,
} from '../src/index.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const SECRET_BYTES = new TextEncoder().encode(SECRET);

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

/** Who may manage which guild, shared by `authorize` and `listGuilds` of the test nodes. */
export class Acl {
  readonly #guilds = new Map<string, Set<string>>();
  /** Guilds `listGuilds` returns on top of the allowed ones (to prove authorize filters them). */
  readonly extraListed = new Map<string, string[]>();

  allow(userId: string, ...guildIds: string[]): this {
    const set = this.#guilds.get(userId) ?? new Set();
    for (const g of guildIds) set.add(g);
    this.#guilds.set(userId, set);
    return this;
  }

  deny(userId: string, guildId: string): void {
    this.#guilds.get(userId)?.delete(guildId);
  }

  authorize = (userId: string, guildId: string): boolean => this.#guilds.get(userId)?.has(guildId) ?? false;
  listGuilds = (userId: string): string[] => [
    ...(this.#guilds.get(userId) ?? []),
    ...(this.extraListed.get(userId) ?? []),
  ];
}

export interface TestNode {
  keyPrefix: string;
  io: GatewayServer;
  http: HttpServer;
  url: string;
  sync: SyncClient;
  gateway: SyncGateway;
  close(): Promise<void>;
}

export interface StartNodeOptions {
  /** Key prefix of the SyncClient (share it between nodes of one cluster). */
  keyPrefix: string;
  /** Redis adapter key: set it to put the node in a Socket.io cluster. */
  adapterKey?: string;
  acl?: Acl;
  logger?: Logger;
  /** Redis of the node's SyncClient (default: the shared test Redis). */
  redis?: string;
  /** Custom channels for the node's SyncClient. */
  channels?: ChannelMap;
  gateway?: Partial<AttachSyncOptions>;
}

const cleanups: (() => Promise<void>)[] = [];

/** Closes every node and client made by the helpers; call in `afterEach`. */
export async function cleanup(): Promise<void> {
  const fns = cleanups.splice(0).reverse();
  for (const fn of fns) await fn().catch(() => {});
}

/** Starts an http server + Socket.io + SyncClient (real Redis) + gateway on a free port. */
export async function startNode(options: StartNodeOptions): Promise<TestNode> {
  const http = createServer();
  const io: GatewayServer = new Server(http, { transports: ['websocket'] });
  const redisClients: Redis[] = [];
  if (options.adapterKey) {
    const pub = new Redis(redisUrl(), { lazyConnect: true });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub, { key: options.adapterKey }));
  }
  const sync = new SyncClient({
    redis: options.redis ?? redisUrl(),
    keyPrefix: options.keyPrefix,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
  }) as SyncClient;
  await sync.connect();
  const acl = options.acl ?? new Acl();
  const gateway = attachSync(io, {
    sync,
    verifyToken: jwtVerifier({ secret: SECRET }),
    authorize: acl.authorize,
    listGuilds: acl.listGuilds,
    ...(options.logger ? { logger: options.logger } : {}),
    ...options.gateway,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const node: TestNode = {
    keyPrefix: options.keyPrefix,
    io,
    http,
    url: `http://127.0.0.1:${port}`,
    sync,
    gateway,
    close() {
      closed ??= (async () => {
        await gateway.close();
        await io.close();
        await sync.close();
        await Promise.all(redisClients.map((r) => r.quit().catch(() => r.disconnect())));
      })();
      return closed;
    },
  };
  cleanups.push(() => node.close());
  return node;
}

/** A SyncClient that only publishes, on the given prefix. */
export async function startPublisher(keyPrefix: string): Promise<SyncClient> {
  const sync = new SyncClient({ redis: redisUrl(), keyPrefix, listen: false });
  await sync.connect();
  cleanups.push(() => sync.close());
  return sync;
}

/** Signs an HS256 panel token. `expiresInSeconds` may be negative (already expired). */
export async function mintToken(claims: {
  sub: string;
  sid?: string;
  expiresInSeconds?: number;
  secret?: Uint8Array;
}): Promise<string> {
  const jwt = new SignJWT(claims.sid ? { sid: claims.sid } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.expiresInSeconds ?? 3600));
  return jwt.sign(claims.secret ?? SECRET_BYTES);
}

type ClientOptions = Partial<ManagerOptions & SocketOptions>;

function newClient(url: string, options: ClientOptions): ClientSocket {
  const socket: ClientSocket = connectClient(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    ...options,
  });
  cleanups.push(async () => {
    socket.disconnect();
  });
  return socket;
}

/** Connects a socket.io-client; resolves once connected, rejects with the `connect_error`. */
export function connect(
  url: string,
  token: string | undefined,
  options: ClientOptions = {},
): Promise<ClientSocket> {
  const socket = newClient(url, token === undefined ? options : { auth: { token }, ...options });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Connects and expects a refusal; resolves with the error's message and `data.code`. */
export async function refusal(
  url: string,
  token: string | undefined,
  options: ClientOptions = {},
): Promise<{ message: string; code: unknown }> {
  try {
    const socket = await connect(url, token, options);
    socket.disconnect();
  } catch (err) {
    const e = err as Error & { data?: { code?: unknown } };
    return { message: e.message, code: e.data?.code };
  }
  throw new Error('connection was accepted');
}

/** Records every payload of `event` on `socket`. */
export function collect<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  (socket as unknown as { on(e: string, l: (p: unknown) => void): void }).on(event, (p) => {
    seen.push(p as Parameters<ServerToClientEvents[E]>[0]);
  });
  return seen;
}

/** A fresh key prefix for the SyncClient and the adapter of one cluster. */
export function clusterPrefix(): { keyPrefix: string; adapterKey: string } {
  const keyPrefix = uniquePrefix('sio');
  return { keyPrefix, adapterKey: `${keyPrefix}socket.io` };
}
