/**
 * The world of the revocation attacks: the Discord emulator (demo seed), a schema of the suite's
 * Postgres, a private `redis-server` the test may stop, TWO panel API nodes on that Redis and
 * database (as `docs/deployment.md` runs them, each applying the bus to its own sockets) and,
 * optionally, the discord.js bot. Everything runs in this process from the sources.
 */
import { randomBytes } from 'node:crypto';
import { createDatabase, type Database, upsertGuild } from '@wolaro/db';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { SyncClient } from '@wolaro/sync';
import {
  captureLogger,
  createTestSchema,
  fixtureForSuite,
  type RedisServerHandle,
  startRedisServer,
  type TestSchema,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { type Bot, startBot } from '../../examples/bot/src/index.js';
import { testConfig } from '../../examples/bot/test/harness.js';
import { openSession } from '../../examples/panel-api/src/auth/tokens.js';
import { type PanelApi, startPanelApi } from '../../examples/panel-api/src/server.js';
import { testPanelConfig } from '../../examples/panel-api/test/helpers.js';
import { apiRequest, type Received, type RecordedSocket, recordSocket } from './fixtures.js';

export { DEMO };

/** Options of {@link startRevocationWorld}. */
export interface RevocationWorldOptions {
  label: string;
  /** Start the bot (default true). */
  bot?: boolean;
  /**
   * Postgres LISTEN/NOTIFY as a second bus (default false): off, a Redis outage really is a bus
   * outage, which is what the outage cases need.
   */
  pgNotify?: boolean;
}

export interface RevocationWorld {
  readonly emulator: DiscordEmulator;
  readonly schema: TestSchema;
  readonly redis: RedisServerHandle;
  readonly nodes: readonly [PanelApi, PanelApi];
  readonly bot: Bot | undefined;
  /** Stops the bot, runs `whileAway`, starts it again (it re-syncs every guild on READY). */
  restartBot(whileAway: () => void | Promise<void>): Promise<void>;
  /** The test's own client on the apps' bus (connected). */
  readonly bus: SyncClient;
  readonly keyPrefix: string;
  /** A panel session and its JWT, as the API mints them. */
  tokenFor(userId: string, ttlSeconds?: number): Promise<{ token: string; sessionId: string }>;
  /** A recorded socket on node 0 or 1 (closed by `close`). */
  connect(node: 0 | 1, token: string): Promise<RecordedSocket>;
  request(
    node: 0 | 1,
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): ReturnType<typeof apiRequest>;
  /** Creates a guild in the emulator (owner, an Admin role, members) and waits for the bot's sync. */
  createGuild(input: TestGuild): Promise<string>;
  /**
   * Sockets of `userId` on both nodes (`revoked`, the user's `token`) and of the owner on both nodes
   * (`allowed`), once every one of them got an event of the guild: all are in the guild room.
   */
  socketsIn(
    guildId: string,
    userId: string,
  ): Promise<{ revoked: RecordedSocket[]; allowed: RecordedSocket[]; token: string }>;
  /**
   * Publishes `count` events of `guildId` on the bus, then a sentinel revocation for `userId` on the
   * same bus, and waits until every socket of `revoked` got the sentinel and every socket of
   * `allowed` got the `count` events: whatever was going to reach the revoked sockets has by then.
   */
  publishThenSentinel(
    guildId: string,
    count: number,
    userId: string,
    revoked: readonly RecordedSocket[],
    allowed: readonly RecordedSocket[],
  ): Promise<void>;
  /**
   * Publishes a sentinel on the bus to `userId` (a revocation of a guild nobody uses, which every
   * socket of the user receives) and waits until each of `sockets` got it (or was disconnected):
   * whatever the bus carried to them before has arrived by then.
   */
  sentinelTo(userId: string, sockets: readonly RecordedSocket[]): Promise<void>;
  close(): Promise<void>;
}

/** A guild made for one test, so tests never share rights. */
export interface TestGuild {
  ownerId: string;
  /** Members holding the "Admin" role (ADMINISTRATOR). */
  admins?: readonly string[];
  /** Members without roles. */
  members?: readonly string[];
}

let guildSeq = 0;

async function startNodes(
  schema: TestSchema,
  emulator: DiscordEmulator,
  redis: RedisServerHandle,
  keyPrefix: string,
  jwtSecret: string,
  pgNotify: boolean,
): Promise<[PanelApi, PanelApi]> {
  const node = () =>
    startPanelApi(
      testPanelConfig(emulator, schema, jwtSecret, {
        redisUrl: redis.url,
        redisKeyPrefix: keyPrefix,
        pgNotify,
        redisHealthCheckMs: 200,
      }),
      { logger: captureLogger() },
    );
  const a = await node();
  try {
    return [a, await node()];
  } catch (err) {
    await a.close();
    throw err;
  }
}

/** Starts the world; see the module comment. Call `close()` in `afterAll`. */
export async function startRevocationWorld(options: RevocationWorldOptions): Promise<RevocationWorld> {
  const pgNotify = options.pgNotify ?? false;
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.splice(0).reverse()) await fn().catch(() => {});
  };
  try {
    const emulator = await startEmulator({ port: 0, seed: 'demo' });
    closers.push(() => emulator.stop());
    const schema = await createTestSchema(options.label);
    closers.push(() => schema.drop());
    const redis = await startRedisServer();
    closers.push(() => redis.stop());
    const keyPrefix = uniquePrefix(options.label);
    const db: Database = await createDatabase({ databaseUrl: schema.connectionString, max: 5 });
    closers.push(() => db.close());
    const jwtSecret = randomBytes(32).toString('hex');
    const nodes = await startNodes(schema, emulator, redis, keyPrefix, jwtSecret, pgNotify);
    closers.push(() => Promise.all(nodes.map((n) => n.close())));
    const bus = new SyncClient({ redis: redis.url, keyPrefix });
    await bus.connect();
    closers.push(() => bus.close());
    let bot: Bot | undefined;
    const launchBot = () =>
      startBot(testConfig(redis.url, keyPrefix, { pgNotify }), {
        emulator,
        db,
        logger: captureLogger(),
        readyTimeoutMs: 20_000,
      });
    if (options.bot ?? true) {
      bot = await launchBot();
      closers.push(() => bot?.close() ?? Promise.resolve());
    } else {
      await upsertGuild(db.pool, { guildId: DEMO.guildId, name: 'Wolaro Demo', ownerId: DEMO.users.owner });
    }
    const sockets: RecordedSocket[] = [];
    closers.push(async () => {
      for (const s of sockets) s.close();
    });
    const world: RevocationWorld = {
      emulator,
      schema,
      redis,
      nodes,
      get bot() {
        return bot;
      },
      bus,
      keyPrefix,
      async restartBot(whileAway) {
        await bot?.close();
        bot = undefined;
        await whileAway();
        bot = await launchBot();
      },
      async tokenFor(userId, ttlSeconds = 3600) {
        const { token, session } = await openSession(db.pool, jwtSecret, { userId, ttlSeconds });
        return { token, sessionId: session.sessionId };
      },
      async connect(node, token) {
        const socket = await recordSocket(nodes[node].url, token);
        sockets.push(socket);
        return socket;
      },
      request: (node, method, path, token, body) =>
        apiRequest(nodes[node].url, method, path, {
          ...(token ? { token } : {}),
          ...(body === undefined ? {} : { body }),
        }),
      async createGuild(input) {
        const id = `7770000000${String(process.pid % 10_000).padStart(4, '0')}${String(++guildSeq).padStart(4, '0')}`;
        const roleless = (userId: string) => ({ userId, roles: [] as string[] });
        emulator.control.createGuild({
          id,
          name: `Security ${guildSeq}`,
          ownerId: input.ownerId,
          roles: [{ name: 'Admin', permissions: '8' }],
          members: [
            roleless(input.ownerId),
            ...(input.admins ?? []).map((userId) => ({ userId, roles: ['Admin'] })),
            ...(input.members ?? []).map(roleless),
          ],
          includeBot: true,
        });
        const expected = 1 + (input.admins?.length ?? 0) + (input.members?.length ?? 0);
        await waitFor(
          async () => {
            const { rows } = await db.pool.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM guild_members WHERE guild_id = $1',
              [id],
            );
            return (rows[0]?.n ?? 0) >= expected;
          },
          { timeoutMs: 15_000, message: `the bot to sync guild ${id}` },
        );
        return id;
      },
      socketsIn: (guildId, userId) => socketsInGuild(world, guildId, userId),
      publishThenSentinel: (guildId, count, userId, revoked, allowed) =>
        publishThenSentinel(world, guildId, count, userId, revoked, allowed),
      sentinelTo: (userId, sockets) => sentinelTo(world, userId, sockets),
      close,
    };
    return world;
  } catch (err) {
    await close();
    throw err;
  }
}

/** The world for the calling test file: started before its tests, closed after them. */
export function useRevocationWorld(options: RevocationWorldOptions): RevocationWorld {
  return fixtureForSuite(() => startRevocationWorld(options));
}

/** The id of the "Admin" role of a guild made by `createGuild`. */
export function adminRoleOf(world: RevocationWorld, guildId: string): string {
  const role = world.emulator.state.roles(guildId).find((r) => r.name === 'Admin');
  if (!role) throw new Error(`guild ${guildId} has no Admin role`);
  return role.id;
}

/** Matches the `permission:revoked` of `guildId`. */
export const revokedIn = (guildId: string) => (r: Received) =>
  r.event === 'permission:revoked' && r.payload['guildId'] === guildId;

/** A guild id no test uses: a revocation of it concerns nobody's room, so it serves as a sentinel. */
const SENTINEL_GUILD = '999999999999999999';

async function socketsInGuild(world: RevocationWorld, guildId: string, userId: string) {
  const user = await world.tokenFor(userId);
  const owner = await world.tokenFor(DEMO.users.owner);
  const revoked = [await world.connect(0, user.token), await world.connect(1, user.token)];
  const allowed = [await world.connect(0, owner.token), await world.connect(1, owner.token)];
  await world.bus.publish('command:executed', {
    guildId,
    command: 'before',
    executorId: DEMO.users.owner,
    result: 'success',
  });
  for (const s of [...revoked, ...allowed]) {
    await s.waitFor((r) => r.event === 'command:executed' && r.payload['guildId'] === guildId, 'before');
  }
  return { revoked, allowed, token: user.token };
}

async function sentinelTo(
  world: RevocationWorld,
  userId: string,
  sockets: readonly RecordedSocket[],
): Promise<void> {
  const before = sockets.map((s) => s.of('permission:revoked', SENTINEL_GUILD).length);
  await world.bus.publish('permission:revoked', { guildId: SENTINEL_GUILD, userId, reason: 'sentinel' });
  // A socket the server disconnected meanwhile gets no sentinel, and nothing more either: the
  // caller's assertions say what went wrong.
  for (const [i, s] of sockets.entries()) {
    await waitFor(
      () => s.of('permission:revoked', SENTINEL_GUILD).length > before[i]! || !s.socket.connected,
      {
        timeoutMs: 10_000,
        message: 'the sentinel',
      },
    );
  }
}

async function publishThenSentinel(
  world: RevocationWorld,
  guildId: string,
  count: number,
  userId: string,
  revoked: readonly RecordedSocket[],
  allowed: readonly RecordedSocket[],
): Promise<void> {
  const before = allowed.map((s) => s.of('command:executed', guildId).length);
  for (let i = 0; i < count; i++) {
    await world.bus.publish('command:executed', {
      guildId,
      command: `after-${i}`,
      executorId: DEMO.users.owner,
      result: 'success',
    });
  }
  await sentinelTo(world, userId, revoked);
  for (const [i, s] of allowed.entries()) {
    await waitFor(() => s.of('command:executed', guildId).length >= before[i]! + count, {
      timeoutMs: 10_000,
      message: `${count} events on an allowed socket`,
    });
  }
}

/** Events of `guildId` other than its revocation that `socket` received. */
export const leaked = (socket: RecordedSocket, guildId: string) =>
  socket.ofGuild(guildId).filter((r) => r.event !== 'permission:revoked');
