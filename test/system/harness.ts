/**
 * System-test harness: the production shape of Wolaro Sync on one machine. A real Postgres (a fresh
 * schema), a real Redis (a private `redis-server` the test may kill, or the shared one under a unique
 * key prefix), the Discord emulator in this process, and the panel API and the bot as SEPARATE child
 * processes (`node --import tsx <app>/src/main.ts`, run from the repo root so tsx maps the workspace
 * packages to their sources through the root tsconfig paths), configured from the environment only.
 *
 * Each child's stdout/stderr is kept line by line (pino JSON parsed) in {@link ChildLogs}: tests assert
 * on log lines, and print both apps' output when a test fails (`WOLARO_SYSTEM_LOGS=1` prints it always).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createSession } from '@wolaro/db';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import type pg from 'pg';
import {
  createTestSchema,
  freePort,
  type RedisServerHandle,
  redisUrl,
  startRedisServer,
  type TestSchema,
  uniquePrefix,
  waitFor,
} from '../support/index.js';

export { DEMO };

/** The repository root: children run from here (tsx reads the root tsconfig `paths`). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Shared by the API and `tokenFor` (HS256 needs at least 32 bytes). */
export const JWT_SECRET = 'wolaro-system-tests-jwt-secret-0123456789-abcdefghij';
/** `iss` of panel tokens (examples/panel-api/src/auth/tokens.ts `TOKEN_ISSUER`). */
export const TOKEN_ISSUER = 'wolaro-panel-api';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** One line a child printed: a pino JSON line (`msg`, `level`, `time`, ...) or raw text. */
export interface LogLine {
  /** Pino's level name, `'raw'` for a line that is not JSON. */
  level: string;
  msg: string;
  /** Pino's `time` (ms since epoch), else when this process read the line. */
  time: number;
  /** The parsed JSON line (`{}` for raw text). */
  fields: Record<string, unknown>;
  stream: 'stdout' | 'stderr';
}

/** Matches the `msg` of a line (substring or RegExp) or the whole line (predicate). */
export type LineMatcher = string | RegExp | ((line: LogLine) => boolean);

/** Everything a child printed, parsed line by line. */
export class ChildLogs {
  readonly lines: LogLine[] = [];
  #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };

  feed(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.#partial[stream] + chunk.toString('utf8');
    const parts = text.split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    for (const raw of parts) if (raw.trim() !== '') this.lines.push(parseLine(raw, stream));
  }

  /** Lines matching `matcher`, optionally only at `level`, optionally only from index `from` on. */
  find(matcher: LineMatcher, options: { level?: string; from?: number } = {}): LogLine[] {
    return this.lines.slice(options.from ?? 0).filter((line) => {
      if (options.level !== undefined && line.level !== options.level) return false;
      if (typeof matcher === 'string') return line.msg.includes(matcher);
      if (matcher instanceof RegExp) return matcher.test(line.msg);
      return matcher(line);
    });
  }

  has(matcher: LineMatcher, options: { level?: string; from?: number } = {}): boolean {
    return this.find(matcher, options).length > 0;
  }

  /** Waits for a matching line and returns the first one. */
  async waitFor(
    matcher: LineMatcher,
    options: { level?: string; from?: number; timeoutMs?: number } = {},
  ): Promise<LogLine> {
    return waitFor(() => this.find(matcher, options)[0], {
      timeoutMs: options.timeoutMs ?? 5000,
      intervalMs: 5,
      message: `a log line matching ${String(matcher)}${options.level ? ` at ${options.level}` : ''}`,
    });
  }

  /** The index the next line will get: pass it as `from` to look only at what comes next. */
  get mark(): number {
    return this.lines.length;
  }

  /** The last `max` lines as `level msg {fields}` text, for failure reports. */
  tail(max = 120): string {
    return this.lines
      .slice(-max)
      .map((l) => {
        const { level: _l, msg: _m, time: _t, pid: _p, hostname: _h, ...rest } = l.fields;
        const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest).slice(0, 300)}` : '';
        return `  [${l.stream} ${l.level}] ${l.msg}${extra}`;
      })
      .join('\n');
  }
}

function parseLine(raw: string, stream: 'stdout' | 'stderr'): LogLine {
  if (raw.startsWith('{')) {
    try {
      const fields = JSON.parse(raw) as Record<string, unknown>;
      const level = typeof fields['level'] === 'number' ? (LEVELS[fields['level']] ?? 'info') : 'info';
      return {
        level,
        msg: typeof fields['msg'] === 'string' ? fields['msg'] : '',
        time: typeof fields['time'] === 'number' ? fields['time'] : Date.now(),
        fields,
        stream,
      };
    } catch {
      // not JSON after all
    }
  }
  return { level: 'raw', msg: raw, time: Date.now(), fields: {}, stream };
}

/** A running app in a child process. */
export interface AppProcess {
  readonly child: ChildProcess;
  readonly logs: ChildLogs;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Spawns `node --import tsx <script>` from the repo root with exactly `env` (plus PATH and HOME),
 * recording stdout and stderr line by line. The child is SIGKILLed if this process exits first.
 */
export function spawnNode(script: string, env: Record<string, string>, logs = new ChildLogs()): AppProcess {
  installExitHook();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? ROOT, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout?.on('data', (chunk: Buffer) => logs.feed('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => logs.feed('stderr', chunk));
  child.stdin?.on('error', () => {});
  return { child, logs };
}

/** Whether the child has exited (or was killed). */
export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal`, waits for the exit, SIGKILLs after `graceMs`. Returns how it ended. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 8000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (exited(child)) return { code: child.exitCode, signal: child.signalCode };
  const done = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    const [code, sig] = await done;
    return { code, signal: sig };
  } finally {
    clearTimeout(timer);
  }
}

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
}

/** A running system; see {@link startSystem}. */
export interface System {
  readonly api: { readonly url: string; readonly child: ChildProcess; readonly logs: ChildLogs };
  readonly bot: { readonly child: ChildProcess; readonly logs: ChildLogs };
  readonly emulator: DiscordEmulator;
  /** The private server (`redis: 'private'`), `undefined` with the shared one. */
  readonly redis: RedisServerHandle | undefined;
  readonly redisUrl: string;
  /** `REDIS_KEY_PREFIX` of both apps. */
  readonly keyPrefix: string;
  readonly schema: TestSchema;
  /** A pool on the system's schema. */
  readonly pool: pg.Pool;
  /** The env both children got in common (DATABASE_URL, REDIS_URL, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** A panel JWT for `userId`: a `panel_sessions` row plus an HS256 token, as the API mints them. */
  tokenFor(userId: string): Promise<string>;
  /** SIGTERM the API, start it again on the same port, wait for its health. */
  restartApi(): Promise<void>;
  /** SIGTERM the bot, start it again, wait for `Bot ready`. */
  restartBot(): Promise<void>;
  /** Both apps' recent output, for failure reports. */
  dump(): string;
  /** Stops the children, the emulator, the private Redis, and drops the schema. Idempotent. */
  stop(): Promise<void>;
}

async function waitForHealth(url: string, proc: AppProcess, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      if (exited(proc.child))
        throw new Error(`panel API exited (${proc.child.exitCode ?? proc.child.signalCode})`);
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 50, message: `GET ${url}/api/health → 200` },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\npanel API output:\n${proc.logs.tail()}`);
  });
}

async function waitForBotReady(proc: AppProcess, from: number, timeoutMs: number): Promise<void> {
  await waitFor(
    () => {
      if (exited(proc.child)) throw new Error(`bot exited (${proc.child.exitCode ?? proc.child.signalCode})`);
      return proc.logs.has('Bot ready', { from });
    },
    { timeoutMs, intervalMs: 20, message: 'the bot to log "Bot ready"' },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nbot output:\n${proc.logs.tail()}`);
  });
}

/** Deletes every key under `prefix` (the apps' cache entries) from a shared Redis. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) await client.del(...keys);
    }
  } finally {
    client.disconnect();
  }
}

/**
 * The version of a guild's config entry in the bot's L2 (Redis: `\x01{version}:{writtenAt}\x01{json}`,
 * packages/wolaro-sync/src/cache/envelope.ts), `null` when there is none or it is a tombstone.
 */
export async function l2ConfigVersion(
  url: string,
  keyPrefix: string,
  guildId: string,
): Promise<number | null> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    const raw = await client.get(`${keyPrefix}guild:config:${guildId}`);
    const mark = String.fromCharCode(1);
    if (raw === null || !raw.startsWith(mark)) return null;
    const version = raw.slice(1, raw.indexOf(mark, 1)).split(':')[0] ?? '';
    return /^\d+$/.test(version) ? Number(version) : null; // a tombstone's header starts with T
  } finally {
    client.disconnect();
  }
}

const API_MAIN = 'examples/panel-api/src/main.ts';
const BOT_MAIN = 'examples/bot/src/main.ts';
const START_TIMEOUT_MS = 40_000;

/**
 * Starts the whole system: schema, Redis, emulator (in this process, demo seed), then the panel API
 * and the bot as child processes at the same time. Resolves once the API's health answers 200 and
 * the bot has printed `Bot ready`.
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const label = options.label ?? 'system';
  const cleanups: (() => Promise<unknown>)[] = [];
  const unwind = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  };
  try {
    const schema = await createTestSchema(`sys_${label}`);
    cleanups.push(() => schema.drop());
    let redis: RedisServerHandle | undefined;
    if (options.redis === 'private') {
      redis = await startRedisServer();
      const server = redis;
      cleanups.push(() => server.stop());
    }
    const url = redis?.url ?? redisUrl();
    const keyPrefix = uniquePrefix(label);
    if (!redis) cleanups.push(() => deleteKeys(url, keyPrefix));
    const emulator = await startEmulator({ port: 0, seed: 'demo' });
    cleanups.push(() => emulator.stop());
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;

    const common: Record<string, string> = {
      DATABASE_URL: schema.connectionString,
      REDIS_URL: url,
      REDIS_KEY_PREFIX: keyPrefix,
      DISCORD_API_URL: emulator.apiUrl,
      DISCORD_TOKEN: emulator.botToken,
      LOG_LEVEL: 'debug',
    };
    const apiEnv: Record<string, string> = {
      ...common,
      NODE_ENV: 'production',
      JWT_SECRET,
      PORT: String(port),
      DISCORD_CLIENT_ID: emulator.applicationId,
      DISCORD_CLIENT_SECRET: emulator.clientSecret,
      PANEL_ORIGIN: apiUrl,
      ADMIN_USER_IDS: (options.adminUserIds ?? [DEMO.users.owner]).join(','),
      ...options.apiEnv,
    };
    const botEnv: Record<string, string> = { ...common, ...options.botEnv };

    const apiLogs = new ChildLogs();
    const botLogs = new ChildLogs();
    let apiProc = spawnNode(API_MAIN, apiEnv, apiLogs);
    let botProc = spawnNode(BOT_MAIN, botEnv, botLogs);
    cleanups.push(async () => {
      await Promise.all([stopChild(apiProc.child), stopChild(botProc.child)]);
    });
    await Promise.all([
      waitForHealth(apiUrl, apiProc, START_TIMEOUT_MS),
      waitForBotReady(botProc, 0, START_TIMEOUT_MS),
    ]);

    let stopped: Promise<void> | undefined;
    const system: System = {
      api: {
        url: apiUrl,
        get child() {
          return apiProc.child;
        },
        logs: apiLogs,
      },
      bot: {
        get child() {
          return botProc.child;
        },
        logs: botLogs,
      },
      emulator,
      redis,
      redisUrl: url,
      keyPrefix,
      schema,
      pool: schema.pool,
      env: common,
      async tokenFor(userId) {
        const session = await createSession(schema.pool, { userId, ttlSeconds: 3600 });
        return new SignJWT({ sid: session.sessionId })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(userId)
          .setIssuer(TOKEN_ISSUER)
          .setIssuedAt()
          .setExpirationTime(Math.floor(session.expiresAt.getTime() / 1000))
          .sign(new TextEncoder().encode(JWT_SECRET));
      },
      async restartApi() {
        await stopChild(apiProc.child);
        apiLogs.lines.push({
          level: 'raw',
          msg: '--- restarted by the test ---',
          time: Date.now(),
          fields: {},
          stream: 'stdout',
        });
        apiProc = spawnNode(API_MAIN, apiEnv, apiLogs);
        await waitForHealth(apiUrl, apiProc, START_TIMEOUT_MS);
      },
      async restartBot() {
        await stopChild(botProc.child);
        const from = botLogs.mark;
        botProc = spawnNode(BOT_MAIN, botEnv, botLogs);
        await waitForBotReady(botProc, from, START_TIMEOUT_MS);
      },
      dump() {
        return `--- panel API (${apiUrl}) ---\n${apiLogs.tail()}\n--- bot ---\n${botLogs.tail()}`;
      },
      stop() {
        stopped ??= unwind();
        return stopped;
      },
    };
    return system;
  } catch (err) {
    await unwind();
    throw err;
  }
}
