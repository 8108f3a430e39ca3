/**
 * The production shape of Wolaro Sync on one machine, for system tests and benchmarks alike: a fresh
 * Postgres schema, Redis under a key prefix, the Discord emulator in this process, and the panel API
 * and the bot as SEPARATE child processes configured from the environment only. The apps run from
 * their TypeScript sources through tsx (`node --import tsx examples/<app>/src/main.ts`, from the repo
 * root so tsx maps the workspace packages to their sources) or from their build (`dist/main.js`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '@wolaro/db';
import { type DiscordEmulator, type EmulatorOptions, startEmulator } from '@wolaro/discord-emulator';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { freePort } from '../net.js';
import { createSchema, type TestSchema, withAppName } from '../postgres.js';
import { ChildLogs } from './child_logs.js';
import { type AppProcess, exited, ROOT, spawnNode, stopChild, waitForHealth } from './processes.js';

/** `iss` of panel tokens (examples/panel-api/src/auth/tokens.ts `TOKEN_ISSUER`). */
export const TOKEN_ISSUER = 'wolaro-panel-api';

/** How the apps run: the built JS (`dist`) or the TypeScript sources through tsx (`src`). */
export type AppRuntime = 'dist' | 'src';

/** `dist` when both apps are built, else `src`; `BENCH_APPS=src|dist` decides when set. */
export function appRuntime(wanted = process.env['BENCH_APPS']): AppRuntime {
  if (wanted === 'src' || wanted === 'dist') return wanted;
  const built = ['examples/panel-api/dist/main.js', 'examples/bot/dist/main.js'].every((p) =>
    existsSync(join(ROOT, p)),
  );
  return built ? 'dist' : 'src';
}

/** Where `--cpu-prof` writes (BENCH_CPU_PROF_DIR, default a temporary directory: profiles are big). */
export const PROFILE_DIR = process.env['BENCH_CPU_PROF_DIR'] ?? join(tmpdir(), 'wolaro-bench-profiles');

type App = 'panel-api' | 'bot';

/** The node arguments that run `app` (optionally with a V8 CPU profile into {@link PROFILE_DIR}). */
export function appArgs(app: App, runtime: AppRuntime, profile = false): string[] {
  const prof = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${app}-${Date.now()}.cpuprofile`]
    : [];
  return runtime === 'dist'
    ? [...prof, `examples/${app}/dist/main.js`]
    : [...prof, '--import', 'tsx', `examples/${app}/src/main.ts`];
}

/** Options of {@link launchSystem}. */
export interface LaunchOptions {
  /** Readable tag of the schema. */
  label: string;
  /** Base Postgres URL: the schema is created in its database. */
  databaseUrl: string;
  /** First part of the schema name (default `t_sys`). */
  schemaPrefix?: string;
  /** Size of the pool on the schema (default 5). */
  poolMax?: number;
  /** `REDIS_URL` of both apps. */
  redisUrl: string;
  /** `REDIS_KEY_PREFIX` of both apps. */
  keyPrefix: string;
  /** HS256 secret of the API and {@link LaunchedSystem.tokenFor} (≥ 32 bytes). */
  jwtSecret: string;
  /**
   * `SYNC_SIGNING_KEY` of both apps (the API runs with `NODE_ENV=production`, which requires it);
   * a random one per launch by default. It is in {@link LaunchedSystem.env} for test clients.
   */
  syncSigningKey?: string;
  /** How the apps run (default `src`). */
  runtime?: AppRuntime;
  /** Options of the emulator on top of `{ port: 0, seed: 'demo' }`. */
  emulator?: Omit<EmulatorOptions, 'port' | 'seed'>;
  /** Runs once the emulator is up, before the apps start (e.g. to create guilds). */
  prepare?: (emulator: DiscordEmulator) => void | Promise<void>;
  /** Starts the API first and the bot once it is healthy (default: both at once). */
  apiFirst?: boolean;
  /** Each part gets its own Postgres `application_name` (`<schema>_api`, `_bot`, `_bench`). */
  appNames?: boolean;
  /** Env of the API child on top of the defaults. */
  apiEnv?: Record<string, string>;
  /** Env of the bot child on top of the defaults. */
  botEnv?: Record<string, string>;
  /**
   * Runs the bot as this many processes, shard `i` of N each (`SHARD_ID`, `SHARD_COUNT`), as a
   * sharded deployment does. Default: one process, not sharded.
   */
  botShards?: number;
  /** Parse and keep every output line (tests); off, only listeners and the tail see them. Default true. */
  keepLogs?: boolean;
  /** `--cpu-prof` on these children, into {@link PROFILE_DIR}. */
  cpuProf?: readonly ('api' | 'bot')[];
  /** `TSX_TSCONFIG_PATH` of the children (with `runtime: 'src'`). */
  childTsconfig?: string;
  /** How long the API may take to answer its health check (default 40 s). */
  apiTimeoutMs?: number;
  /** How long the bot may take to print `Bot ready` (default 40 s). */
  botTimeoutMs?: number;
  /** Runs first when the system stops (e.g. stop a private Redis, delete the keys). */
  cleanup?: () => Promise<unknown>;
  /** Panel API processes, each on its own port, all on the same database and Redis (default 1). */
  apiNodes?: number;
  /**
   * The `DATABASE_URL` the apps get, from the schema's URL (default: unchanged). E.g. through a TCP
   * proxy (`proxy.url(url)`) to cut the apps off while this process keeps its own pool.
   */
  appDatabaseUrl?: (url: string) => string;
}

/** A running app: the current child (a restart replaces it) and its output across restarts. */
export interface RunningApp {
  readonly child: AppProcess['child'];
  readonly logs: ChildLogs;
}

/** A child the caller can stop (any signal) and start again, e.g. to SIGKILL it under load. */
export interface ControlledApp extends RunningApp {
  /** Sends `signal` (SIGKILL after `graceMs`) and waits for the exit; no-op when it is not running. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** Starts a new child (same env, same port) and waits until it is ready; no-op when it runs. */
  start(): Promise<void>;
  /** Whether the current child is alive. */
  readonly running: boolean;
}

/** A panel API process and its URL (`http://127.0.0.1:<port>`, kept across restarts). */
export interface ApiNode extends ControlledApp {
  readonly url: string;
}

/** A running system; see {@link launchSystem}. */
export interface LaunchedSystem {
  /** The first API node's URL. */
  readonly apiUrl: string;
  /** The first API node. */
  readonly api: ApiNode;
  /** Every API node ({@link LaunchOptions.apiNodes}), the first one included. */
  readonly apis: readonly ApiNode[];
  readonly bot: ControlledApp;
  /** Every bot process, by shard id (one without `botShards`); `bot` is the first. */
  readonly bots: readonly ControlledApp[];
  readonly emulator: DiscordEmulator;
  readonly schema: TestSchema;
  /** A pool on the system's schema. */
  readonly pool: pg.Pool;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly runtime: AppRuntime;
  /** The env both children got in common (DATABASE_URL, REDIS_URL, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** The `application_name` of each part (with `appNames`). */
  readonly appNames: { readonly api: string; readonly bot: string; readonly bench: string };
  /** A panel JWT for `userId`: a `panel_sessions` row plus an HS256 token, as the API mints them. */
  tokenFor(userId: string, ttlSeconds?: number): Promise<string>;
  /** SIGTERM the (first) API, start it again on the same port, wait for its health. */
  restartApi(): Promise<void>;
  /** SIGTERM the bot (the process of shard `shard`, default 0), start it again, wait for `Bot ready`. */
  restartBot(shard?: number): Promise<void>;
  /** Every app's recent output, for failure reports. */
  dump(): string;
  /** Stops the children, the emulator, and drops the schema (after `cleanup`). Idempotent. */
  stop(options?: { keepSchema?: boolean }): Promise<void>;
}

/** A stack of cleanups run in reverse order, errors ignored. */
function cleanupStack() {
  const fns: (() => Promise<unknown>)[] = [];
  return {
    push: (fn: () => Promise<unknown>) => fns.push(fn),
    unwind: async () => {
      for (const fn of fns.splice(0).reverse()) await fn().catch(() => {});
    },
  };
}

/**
 * Starts the whole system: schema, emulator (in this process, demo seed), then the panel API and the
 * bot as child processes. Resolves once the API's health answers 200 and the bot printed `Bot ready`.
 *
 * @example
 * ```ts
 * const sys = await launchSystem({ label: 'demo', databaseUrl, redisUrl, keyPrefix: 'demo:', jwtSecret });
 * const token = await sys.tokenFor(DEMO.users.owner);
 * await fetch(`${sys.apiUrl}/api/panel/guilds/${DEMO.guildId}`, { headers: { authorization: `Bearer ${token}` } });
 * await sys.stop();
 * ```
 */
export async function launchSystem(options: LaunchOptions): Promise<LaunchedSystem> {
  const cleanups = cleanupStack();
  let keepSchema = false;
  try {
    if (options.cleanup) cleanups.push(options.cleanup);
    const schema = await createSchema(options.label, {
      baseUrl: options.databaseUrl,
      prefix: options.schemaPrefix ?? 't_sys',
      max: options.poolMax ?? 5,
      ...(options.appNames ? { applicationName: (name: string) => `${name}_bench` } : {}),
    });
    cleanups.push(() => (keepSchema ? schema.pool.end() : schema.drop()));
    const emulator = await startEmulator({ ...options.emulator, port: 0, seed: 'demo' });
    cleanups.push(() => emulator.stop());
    await options.prepare?.(emulator);
    const system = await startApps(options, schema, emulator, cleanups);
    let stopped: Promise<void> | undefined;
    return {
      ...system,
      stop(stopOptions = {}) {
        keepSchema = stopOptions.keepSchema ?? false;
        stopped ??= cleanups.unwind();
        return stopped;
      },
    };
  } catch (err) {
    await cleanups.unwind();
    throw err;
  }
}

type AppNames = LaunchedSystem['appNames'];

/** The env both apps share, and each app's: they are configured from the environment only. */
function appEnvs(
  options: LaunchOptions,
  schema: TestSchema,
  emulator: DiscordEmulator,
  apiUrls: readonly string[],
  appNames: AppNames,
) {
  const mapUrl = options.appDatabaseUrl ?? ((url: string) => url);
  const database = (name: string) =>
    mapUrl(options.appNames ? withAppName(schema.connectionString, name) : schema.connectionString);
  const common: Record<string, string> = {
    DATABASE_URL: mapUrl(schema.connectionString),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
    SYNC_SIGNING_KEY: options.syncSigningKey ?? randomBytes(36).toString('base64url'),
    DISCORD_API_URL: emulator.apiUrl,
    DISCORD_TOKEN: emulator.botToken,
  };
  // Every node serves the same panel: the first node's URL stands for the public origin.
  const api = (apiUrl: string): Record<string, string> => ({
    ...common,
    NODE_ENV: 'production',
    DATABASE_URL: database(appNames.api),
    JWT_SECRET: options.jwtSecret,
    HOST: '127.0.0.1',
    PORT: new URL(apiUrl).port,
    PANEL_ORIGIN: apiUrls[0] ?? apiUrl,
    DISCORD_CLIENT_ID: emulator.applicationId,
    DISCORD_CLIENT_SECRET: emulator.clientSecret,
    ...options.apiEnv,
  });
  const bot: Record<string, string> = { ...common, DATABASE_URL: database(appNames.bot), ...options.botEnv };
  return { common, apis: apiUrls.map(api), bot };
}

/** A panel JWT for `userId`: a `panel_sessions` row plus an HS256 token, as the API mints them. */
async function mintToken(pool: pg.Pool, secret: string, userId: string, ttlSeconds: number): Promise<string> {
  const session = await createSession(pool, { userId, ttlSeconds });
  return new SignJWT({ sid: session.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(session.expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(secret));
}

/**
 * One app child that can be stopped and started again: `spawn` makes the process, `ready` resolves
 * when it serves. Output of every incarnation goes to the same {@link ChildLogs}.
 */
function controlledApp(
  logs: ChildLogs,
  spawn: () => AppProcess,
  ready: (proc: AppProcess) => Promise<void>,
): ControlledApp & { readonly started: Promise<void> } {
  let proc = spawn();
  let started = ready(proc);
  return {
    get child() {
      return proc.child;
    },
    logs,
    get started() {
      return started;
    },
    get running() {
      return !exited(proc.child);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) {
      if (exited(proc.child)) return;
      await stopChild(proc.child, signal, graceMs);
      logs.note(`--- stopped (${signal}) ---`);
    },
    async start() {
      if (!exited(proc.child)) return;
      logs.note('--- started again ---');
      proc = spawn();
      started = ready(proc);
      await started;
    },
  };
}

async function startApps(
  options: LaunchOptions,
  schema: TestSchema,
  emulator: DiscordEmulator,
  cleanups: ReturnType<typeof cleanupStack>,
): Promise<Omit<LaunchedSystem, 'stop'>> {
  const runtime = options.runtime ?? 'src';
  const { schema: name } = schema;
  const appNames = { api: `${name}_api`, bot: `${name}_bot`, bench: `${name}_bench` };
  const apiUrls: string[] = [];
  for (let i = 0; i < Math.max(1, options.apiNodes ?? 1); i++)
    apiUrls.push(`http://127.0.0.1:${await freePort()}`);
  const envs = appEnvs(options, schema, emulator, apiUrls, appNames);
  const prof = new Set(options.cpuProf ?? []);
  if (prof.size > 0) mkdirSync(PROFILE_DIR, { recursive: true });
  const keep = options.keepLogs ?? true;
  const spawnApp = (app: App, env: Record<string, string>, logs: ChildLogs) => () =>
    spawnNode(appArgs(app, runtime, prof.has(app === 'bot' ? 'bot' : 'api')), {
      env,
      logs,
      ...(options.childTsconfig ? { tsconfig: options.childTsconfig } : {}),
    });
  const apiTimeout = options.apiTimeoutMs ?? 40_000;
  const botTimeout = options.botTimeoutMs ?? 40_000;

  const apis: (ApiNode & { readonly started: Promise<void> })[] = apiUrls.map((url, i) => {
    const logs = new ChildLogs({ name: i === 0 ? 'api' : `api${i + 1}`, keep });
    const app = controlledApp(logs, spawnApp('panel-api', envs.apis[i]!, logs), (proc) =>
      waitForHealth(url, proc, apiTimeout),
    );
    cleanups.push(() => app.stop('SIGTERM', 10_000));
    return Object.assign(app, { url });
  });
  if (options.apiFirst) await Promise.all(apis.map((a) => a.started));
  const shards = options.botShards;
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) {
    throw new RangeError(`botShards must be an integer of at least 1, got ${shards}`);
  }
  // One bot process, or one per shard with `botShards` (SHARD_ID = its index, SHARD_COUNT).
  const bots = Array.from({ length: shards ?? 1 }, (_, shard) => {
    const logs = new ChildLogs({ name: shards === undefined ? 'bot' : `bot${shard}`, keep });
    const env =
      shards === undefined ? envs.bot : { ...envs.bot, SHARD_ID: String(shard), SHARD_COUNT: String(shards) };
    const app = controlledApp(logs, spawnApp('bot', env, logs), (proc) =>
      logs.waitForLine('Bot ready', botTimeout, proc.child).then(() => {}),
    );
    cleanups.push(() => app.stop('SIGTERM', 10_000));
    return app;
  });
  await Promise.all([...apis.map((a) => a.started), ...bots.map((b) => b.started)]);
  const first = apis[0]!;

  return {
    apiUrl: first.url,
    api: first,
    apis,
    bot: bots[0]!,
    bots,
    emulator,
    schema,
    pool: schema.pool,
    redisUrl: options.redisUrl,
    keyPrefix: options.keyPrefix,
    runtime,
    env: envs.common,
    appNames,
    tokenFor: (userId, ttlSeconds = 3600) => mintToken(schema.pool, options.jwtSecret, userId, ttlSeconds),
    async restartApi() {
      await first.stop('SIGTERM', 8000);
      first.logs.note('--- restarted by the test ---');
      await first.start();
    },
    async restartBot(shard = 0) {
      const bot = bots[shard];
      if (!bot) throw new Error(`no bot process of shard ${shard} (${bots.length} running)`);
      await bot.stop('SIGTERM', 8000);
      bot.logs.note('--- restarted by the test ---');
      await bot.start();
    },
    dump() {
      const api = apis.map((a, i) => `--- panel API ${i + 1} (${a.url}) ---\n${a.logs.tail()}`);
      const botTails = bots.map(
        (bot, i) => `--- bot${bots.length > 1 ? ` shard ${i}` : ''} ---\n${bot.logs.tail()}`,
      );
      return [...api, ...botTails].join('\n');
    },
  };
}
