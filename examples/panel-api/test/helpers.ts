import { randomBytes } from 'node:crypto';
import { runMigrations, upsertGuild, upsertMembers } from '@wolaro/db';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import {
  type CaptureLogger,
  captureLogger,
  createTestSchema,
  fixtureForSuite,
  redisUrl,
  type TestSchema,
  uniquePrefix,
} from '@wolaro/test-harness';
import { io, type Socket } from 'socket.io-client';
import { openSession } from '../src/auth/tokens.js';
import type { PanelApiConfig } from '../src/config.js';
import { type PanelApi, startPanelApi } from '../src/server.js';

export { DEMO };

/** Ids of the test world, beside the emulator's demo guild. */
export const IDS = {
  /** A guild the bot is in where DEMO.users.admin is not a member (IDOR target). */
  otherGuild: '555555555555555501',
  /** A guild the bot left, where DEMO.users.admin is an administrator. */
  goneGuild: '555555555555555502',
  /** A stranger who owns `otherGuild`. */
  stranger: '555555555555555599',
} as const;

/** Discord permission bitfields. */
export const PERMS = { admin: '8', moderator: String(2 | 4 | 8192), none: '0' } as const;

export interface TestWorld {
  api: PanelApi;
  emulator: DiscordEmulator;
  schema: TestSchema;
  logger: CaptureLogger;
  jwtSecret: string;
  /** A fresh panel session + JWT for a user. */
  tokenFor(userId: string, ttlSeconds?: number): Promise<{ token: string; sessionId: string }>;
  /** `fetch` against the API with JSON in and out. */
  request(
    method: string,
    path: string,
    options?: { token?: string | undefined; body?: unknown; raw?: string; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field by the tests
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** A socket.io-client connected with `auth: { token }` (resolves on connect, rejects on connect_error). */
  connect(token: string): Promise<Socket>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Seed `guild_members` directly (default true); OAuth tests let the login do it. */
  seedMembers?: boolean;
  config?: Partial<PanelApiConfig>;
  label?: string;
  /** The URL the API connects with, from the test schema's (e.g. through a TCP proxy). */
  apiDatabaseUrl?: (schemaUrl: string) => string;
}

/**
 * The panel API's config for a test on `emulator` and `schema`: a free port on 127.0.0.1, the
 * emulator as Discord, the demo owner as a bot admin, no logs; `extra` is added.
 */
export function testPanelConfig(
  emulator: DiscordEmulator,
  schema: TestSchema,
  jwtSecret: string,
  extra: Partial<PanelApiConfig>,
): Partial<PanelApiConfig> {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: schema.connectionString,
    jwtSecret,
    discordApiUrl: emulator.apiUrl,
    discordToken: emulator.botToken,
    discordClientId: emulator.applicationId,
    discordClientSecret: emulator.clientSecret,
    adminUserIds: [DEMO.users.owner],
    logLevel: 'silent',
    ...extra,
  };
}

/**
 * Starts what a panel test needs: a private Postgres schema, the Discord emulator with its demo
 * guild, the demo guild (and two more) in the panel database, and the API on a free port, with a
 * real Redis under a unique key prefix.
 */
export async function startWorld(options: WorldOptions = {}): Promise<TestWorld> {
  const schema = await createTestSchema(options.label ?? 'panel');
  const emulator = await startEmulator({ port: 0, seed: 'demo' });
  const logger = captureLogger();
  const jwtSecret = randomBytes(32).toString('hex');
  const sockets = new Set<Socket>();
  let api: PanelApi | undefined;
  try {
    await runMigrations(schema.pool);
    await upsertGuild(schema.pool, { guildId: DEMO.guildId, name: 'Wolaro Demo', ownerId: DEMO.users.owner });
    await upsertGuild(schema.pool, { guildId: IDS.otherGuild, name: 'Other', ownerId: IDS.stranger });
    await upsertGuild(schema.pool, { guildId: IDS.goneGuild, name: 'Gone', ownerId: IDS.stranger });
    await schema.pool.query('UPDATE guilds SET bot_present = false WHERE guild_id = $1', [IDS.goneGuild]);
    await upsertMembers(schema.pool, IDS.goneGuild, [{ userId: DEMO.users.admin, permissions: PERMS.admin }]);
    await upsertMembers(schema.pool, IDS.otherGuild, [
      { userId: IDS.stranger, permissions: PERMS.admin, isOwner: true },
      { userId: DEMO.users.member, permissions: PERMS.admin },
    ]);
    if (options.seedMembers ?? true) {
      await upsertMembers(schema.pool, DEMO.guildId, [
        { userId: DEMO.users.owner, username: 'theo7791l', permissions: PERMS.none, isOwner: true },
        { userId: DEMO.users.admin, username: 'alice_admin', permissions: PERMS.admin },
        { userId: DEMO.users.moderator, username: 'marc_mod', permissions: PERMS.moderator },
        { userId: DEMO.users.member, username: 'nina_member', permissions: PERMS.none },
      ]);
    }
    api = await startPanelApi(
      testPanelConfig(emulator, schema, jwtSecret, {
        redisUrl: redisUrl(),
        redisKeyPrefix: uniquePrefix('panel'),
        ...(options.apiDatabaseUrl ? { databaseUrl: options.apiDatabaseUrl(schema.connectionString) } : {}),
        ...options.config,
      }),
      { logger },
    );
  } catch (err) {
    await api?.close();
    await emulator.stop();
    await schema.drop();
    throw err;
  }
  const started = api;

  return {
    api: started,
    emulator,
    schema,
    logger,
    jwtSecret,
    async tokenFor(userId, ttlSeconds = 3600) {
      const { token, session } = await openSession(schema.pool, jwtSecret, { userId, ttlSeconds });
      return { token, sessionId: session.sessionId };
    },
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${started.url}${path}`, {
        method,
        headers,
        body: body ?? null,
        redirect: 'manual',
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (metrics, redirects)
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    connect(token) {
      const socket = io(started.url, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.add(socket);
      return new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (err) => reject(err));
      });
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await started.close();
      await emulator.stop();
      await schema.drop();
    },
  };
}

/**
 * Starts a world for the calling `describe` block (stopped after it) with a session token of the demo
 * admin, on the default test config with `config` over it. The returned object stands for the
 * world once it has started: use it inside the tests.
 *
 * @example
 * ```ts
 * const w = useWorld('panel_guilds');
 * it('reads', async () => {
 *   expect((await w.request('GET', '/api/panel/guilds', { token: w.adminToken })).status).toBe(200);
 * });
 * ```
 */
export function useWorld(
  label: string,
  config?: Partial<PanelApiConfig>,
): TestWorld & { readonly adminToken: string } {
  return fixtureForSuite(async () => {
    const world = await startWorld(config ? { label, config } : { label });
    return Object.assign(world, { adminToken: (await world.tokenFor(DEMO.users.admin)).token });
  });
}

/** Resolves with the first `event` the socket receives (rejects after `timeoutMs`). */
// biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field by the tests
export function nextEvent<T = any>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No ${event} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}
