/**
 * The Socket.io handshake of the reference panel API costs a fixed number of database queries,
 * whatever the number of guilds the user manages: the session check, the guild list and one batched
 * authorization of every listed guild. Counted on the pool the gateway uses, with the real queries
 * against a real Postgres schema.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSession, runMigrations, upsertGuild, upsertMembers } from '@wolaro/db';
import { MemoryBus, MemoryTransport, SyncClient } from '@wolaro/sync';
import type { SyncGateway } from '@wolaro/sync-socketio';
import { captureLogger, createTestSchema, type TestSchema } from '@wolaro/test-harness';
import type pg from 'pg';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSessionToken } from '../../examples/panel-api/src/auth/tokens.js';
import { createGateway } from '../../examples/panel-api/src/realtime/gateway.js';

const JWT_SECRET = 'security-handshake-tests-secret-0123456789abcdef';
const USER = '700000000000000001';
const GUILDS = 50;
const guildId = (i: number) => `71000000000000${String(i).padStart(4, '0')}`;

/** The pool, with every `query` counted. */
function countingPool(pool: pg.Pool): { pool: pg.Pool; count: () => number; reset: () => void } {
  let queries = 0;
  const proxy = new Proxy(pool, {
    get(target, key) {
      if (key === 'query') {
        return (...args: Parameters<pg.Pool['query']>) => {
          queries++;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { pool: proxy, count: () => queries, reset: () => (queries = 0) };
}

describe('socket handshake cost', () => {
  let schema: TestSchema;
  let http: HttpServer;
  let io: Server;
  let sync: SyncClient;
  let gateway: SyncGateway;
  let url: string;
  let counted: ReturnType<typeof countingPool>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    schema = await createTestSchema('sec_handshake');
    await runMigrations(schema.pool);
    for (let i = 0; i < GUILDS; i++) {
      await upsertGuild(schema.pool, {
        guildId: guildId(i),
        name: `Guild ${i}`,
        ownerId: '719999999999999999',
      });
      await upsertMembers(schema.pool, guildId(i), [{ userId: USER, permissions: '8' }]);
    }
    counted = countingPool(schema.pool);
    sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
    await sync.connect();
    http = createServer();
    io = new Server(http, { serveClient: false });
    gateway = createGateway(io, {
      sync,
      pool: counted.pool,
      jwtSecret: JWT_SECRET,
      allowedOrigins: undefined,
      connectLimit: { perIp: false, perUser: false, windowMs: 10_000 },
      trustProxy: false,
      logger: captureLogger(),
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await gateway?.close();
    await io?.close();
    await sync?.close();
    await schema?.drop();
  });

  async function tokenFor(userId: string): Promise<string> {
    const session = await createSession(schema.pool, { userId, ttlSeconds: 3600 });
    return signSessionToken(JWT_SECRET, {
      userId,
      sessionId: session.sessionId,
      expiresAt: session.expiresAt,
    });
  }

  function connect(token: string): Promise<Socket> {
    const socket = connectClient(url, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  it(`a user managing ${GUILDS} guilds connects with at most 3 queries and joins all ${GUILDS} rooms`, async () => {
    const token = await tokenFor(USER);
    counted.reset();
    const socket = await connect(token);
    const queries = counted.count();
    expect(queries).toBeLessThanOrEqual(3);
    expect(queries).toBeGreaterThan(0); // the counter sees the gateway's queries
    // The rooms were joined in the handshake: every guild's events reach the socket.
    expect(gateway.stats().rooms).toBe(GUILDS);
    const got = new Promise((resolve) => socket.once('config:updated', resolve));
    await sync.publishConfigUpdate(guildId(GUILDS - 1), { prefix: '?' }, 2);
    expect(await got).toMatchObject({ guildId: guildId(GUILDS - 1), settings: { prefix: '?' } });
  });

  it('the batched check still refuses guilds the user does not manage: only the managed ones are joined', async () => {
    const other = '700000000000000002';
    for (let i = 0; i < 10; i++) {
      // ADMINISTRATOR in the first five guilds, a plain member of the next five.
      await upsertMembers(schema.pool, guildId(i), [{ userId: other, permissions: i < 5 ? '8' : '0' }]);
    }
    const token = await tokenFor(other);
    counted.reset();
    await connect(token);
    expect(counted.count()).toBeLessThanOrEqual(3);
    const server = [...io.of('/').sockets.values()].find((s) => s.data.userId === other);
    const guildRooms = [...(server?.rooms ?? [])].filter((r) => r.startsWith('guild:')).sort();
    expect(guildRooms).toEqual(Array.from({ length: 5 }, (_, i) => `guild:${guildId(i)}`));
  });
});
