/**
 * The system under test: {@link launchSystem} with the suite's Postgres and Redis (or a private
 * `redis-server` the test may kill), and vitest hooks that print both apps' output when a test fails
 * (`WOLARO_SYSTEM_LOGS=1` prints it always).
 */
import type { ChildProcess } from 'node:child_process';
import { DEMO } from '@wolaro/discord-emulator';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { databaseUrl, redisUrl, uniquePrefix } from '../context.js';
import type { TestSchema } from '../postgres.js';
import { type RedisServerHandle, startRedisServer } from '../redis_server.js';
import type { ChildLogs } from './child_logs.js';
import { type LaunchedSystem, type LaunchOptions, launchSystem } from './launch.js';
import { deleteKeys } from './redis_keys.js';

/** Shared by the API and `tokenFor` (HS256 needs at least 32 bytes). */
export const JWT_SECRET = 'wolaro-system-tests-jwt-secret-0123456789-abcdefghij';

/** Options of {@link startSystem}. */
export interface SystemOptions {
  /** `'private'`: a `redis-server` of this system (tests may kill it); `'shared'`: the suite's Redis. */
  redis: 'private' | 'shared';
  /** Readable tag for the schema and the key prefix. */
  label?: string;
  /** `ADMIN_USER_IDS` of the API (default: the demo owner). */
  adminUserIds?: readonly string[];
  /** Extra env of the API child. */
  apiEnv?: Record<string, string>;
  /** Extra env of the bot child. */
  botEnv?: Record<string, string>;
  /** Runs the bot as this many shard processes (see `LaunchOptions.botShards`). */
  botShards?: number;
  /** Runs once the emulator is up, before the apps start (e.g. to create guilds). */
  prepare?: LaunchOptions['prepare'];
  /** How long the API and each bot process may take to start (default 40 s each). */
  startTimeoutMs?: number;
}

/** A running system under test; see {@link startSystem}. */
export interface System extends Omit<LaunchedSystem, 'api'> {
  readonly api: { readonly url: string; readonly child: ChildProcess; readonly logs: ChildLogs };
  /** The private server (`redis: 'private'`), `undefined` with the shared one. */
  readonly redis: RedisServerHandle | undefined;
  readonly schema: TestSchema;
}

/**
 * Starts the whole system for a test file: a fresh schema of the suite's database, Redis, the
 * emulator (demo seed), then the panel API and the bot (from their sources) at the same time.
 *
 * @example
 * ```ts
 * const sys = await startSystem({ redis: 'shared', label: 'flows' });
 * await sys.bot.logs.waitFor('Bot ready');
 * await sys.stop();
 * ```
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const label = options.label ?? 'system';
  const redis = options.redis === 'private' ? await startRedisServer() : undefined;
  const url = redis?.url ?? redisUrl();
  const keyPrefix = uniquePrefix(label);
  const launched = await launchSystem({
    label,
    databaseUrl: databaseUrl(),
    redisUrl: url,
    keyPrefix,
    jwtSecret: JWT_SECRET,
    apiEnv: {
      LOG_LEVEL: 'debug',
      ADMIN_USER_IDS: (options.adminUserIds ?? [DEMO.users.owner]).join(','),
      ...options.apiEnv,
    },
    botEnv: { LOG_LEVEL: 'debug', ...options.botEnv },
    ...(options.botShards === undefined ? {} : { botShards: options.botShards }),
    ...(options.prepare ? { prepare: options.prepare } : {}),
    ...(options.startTimeoutMs === undefined
      ? {}
      : { apiTimeoutMs: options.startTimeoutMs, botTimeoutMs: options.startTimeoutMs }),
    cleanup: () => (redis ? redis.stop() : deleteKeys(url, keyPrefix)),
  }).catch(async (err: unknown) => {
    await redis?.stop();
    throw err;
  });
  const { api } = launched;
  const testApi = {
    url: launched.apiUrl,
    get child() {
      return api.child;
    },
    logs: api.logs,
  };
  return { ...launched, redis, api: testApi };
}

/**
 * Registers the hooks of a system test file: start the system before all tests, print both apps'
 * output after a failed test, stop it after all. Returns the running system (call it in tests).
 *
 * @example
 * ```ts
 * const sys = useSystem({ redis: 'shared', label: 'flows' });
 * it('answers', async () => { expect((await fetch(`${sys().api.url}/api/health`)).status).toBe(200); });
 * ```
 */
export function useSystem(options: SystemOptions, afterEachTest?: () => void): () => System {
  let sys: System | undefined;
  // The default hook timeout unless the system may take longer to start.
  const hookTimeout = options.startTimeoutMs === undefined ? undefined : options.startTimeoutMs + 30_000;
  beforeAll(async () => {
    sys = await startSystem(options);
  }, hookTimeout);
  afterEach((ctx) => {
    afterEachTest?.();
    if (ctx.task.result?.state === 'fail' && !ctx.task.fails) console.error(sys?.dump());
  });
  afterAll(async () => {
    if (process.env['WOLARO_SYSTEM_LOGS']) console.log(sys?.dump());
    await sys?.stop();
  });
  return () => {
    if (!sys) throw new Error('the system did not start (see the beforeAll error)');
    return sys;
  };
}
