/**
 * Starts the production shape of Wolaro Sync for a benchmark, and stops it after:
 * - a fresh Postgres schema (default durable commits) on DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * - Redis on REDIS_URL (default redis://127.0.0.1:6379) under a unique key prefix,
 * - the Discord emulator in this process,
 * - the panel API and the bot as SEPARATE child processes, configured from the environment only:
 *   `node examples/<app>/dist/main.js` when the build exists (BENCH_APPS=dist, the default when it
 *   does), else `node --import tsx examples/<app>/src/main.ts` (BENCH_APPS=src).
 *
 * Child stdout is read line by line and each line is stamped with `performance.now()` when its
 * chunk arrives on the pipe, so the bench can time the bot's log lines on its own clock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSession } from '@wolaro/db';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import { ROOT } from './report.js';

export { DEMO };

/** HS256 secret shared by the API child and {@link BenchSystem.tokenFor} (≥ 32 bytes). */
const JWT_SECRET = randomBytes(48).toString('base64url');
/** `iss` of panel tokens (examples/panel-api/src/auth/tokens.ts `TOKEN_ISSUER`). */
const TOKEN_ISSUER = 'wolaro-panel-api';

export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** How the apps run: the built JS (realistic) or the TypeScript sources through tsx. */
export type AppRuntime = 'dist' | 'src';

export function appRuntime(): AppRuntime {
  const wanted = process.env['BENCH_APPS'];
  if (wanted === 'src' || wanted === 'dist') return wanted;
  const built = ['examples/panel-api/dist/main.js', 'examples/bot/dist/main.js'].every((p) =>
    existsSync(join(ROOT, p)),
  );
  return built ? 'dist' : 'src';
}

/** Returns `url` with `application_name=<name>` (so the bench finds its Postgres backends). */
export function withAppName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** Returns `url` with `-c search_path=<schema>` in its `options` (sent in the startup packet). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const existing = (parsed.searchParams.get('options') ?? '')
    .replace(/(?:^|\s)-c\s*search_path=\S+/g, '')
    .trim();
  const setting = `-c search_path=${schema}`;
  parsed.searchParams.set('options', existing ? `${existing} ${setting}` : setting);
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: no address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns a value other than `undefined`/`false`. */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** One stdout/stderr line of a child, stamped on arrival. */
export interface Line {
  text: string;
  /** `performance.now()` when the chunk holding the end of this line arrived. */
  at: number;
  stream: 'stdout' | 'stderr';
}

/** An app in a child process, its output read line by line. */
export class ChildApp {
  readonly child: ChildProcess;
  readonly #listeners = new Set<(line: Line) => void>();
  readonly #tail: string[] = [];
  readonly #partial = { stdout: '', stderr: '' };
  #seen = 0;

  constructor(
    readonly name: string,
    args: readonly string[],
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? ROOT,
        // BENCH_APPS=src with BENCH_CHILD_TSCONFIG: the apps' tsx reads that tsconfig (e.g. `paths`
        // to a patched copy of a package, to measure a change before making it). Not TSX_TSCONFIG_PATH:
        // the bench's own tsx sets that one.
        ...(process.env['BENCH_CHILD_TSCONFIG']
          ? { TSX_TSCONFIG_PATH: process.env['BENCH_CHILD_TSCONFIG'] }
          : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.child);
    this.child.once('exit', () => live.delete(this.child));
    this.child.stdout?.on('data', (chunk: Buffer) => this.#feed('stdout', chunk, performance.now()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.#feed('stderr', chunk, performance.now()));
  }

  #feed(stream: 'stdout' | 'stderr', chunk: Buffer, at: number): void {
    const text = this.#partial[stream] + chunk.toString('utf8');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) continue;
      this.#seen++;
      this.#tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (this.#tail.length > 200) this.#tail.shift();
      for (const fn of this.#listeners) fn({ text: line, at, stream });
    }
    this.#partial[stream] = text.slice(start);
  }

  /** Calls `fn` for every later line; returns the unsubscribe function. */
  onLine(fn: (line: Line) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Lines printed so far. */
  get linesSeen(): number {
    return this.#seen;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Resolves with the first later line whose text contains `needle` (or rejects after `timeoutMs`). */
  waitForLine(needle: string, timeoutMs: number): Promise<Line> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(
          new Error(`${this.name}: no line containing "${needle}" within ${timeoutMs} ms\n${this.tail()}`),
        );
      }, timeoutMs);
      const onExit = () => {
        clearTimeout(timer);
        off();
        reject(
          new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode})\n${this.tail()}`),
        );
      };
      const stop = this.onLine((line) => {
        if (!line.text.includes(needle)) return;
        clearTimeout(timer);
        off();
        resolve(line);
      });
      const off = () => {
        stop();
        this.child.off('exit', onExit);
      };
      this.child.once('exit', onExit);
    });
  }

  /** The last lines, for failure reports. */
  tail(max = 40): string {
    return this.#tail
      .slice(-max)
      .map((l) => `  [${this.name}] ${l}`)
      .join('\n');
  }

  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const done = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  }

  /** User + system CPU time of the child so far, in ms (Linux /proc), or NaN. */
  cpuMs(): number {
    return procCpuMs(this.child.pid);
  }
}

/** User + system CPU ms of a process from /proc/<pid>/stat (clock ticks at 100 Hz), NaN elsewhere. */
export function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU ms by part of the system; `redis` is the whole (shared) server. */
export interface CpuSample {
  api: number;
  bot: number;
  pgApi: number;
  pgBot: number;
  pgBench: number;
  redis: number;
  bench: number;
}

/**
 * Cumulative CPU time of every part of the system, from /proc (Linux): the two children, their
 * Postgres backends (found by `application_name` in pg_stat_activity; a backend that exits between
 * two samples loses its last slice), the Redis server, and this process.
 */
export class CpuMeter {
  readonly #backends = new Map<number, { role: 'pgApi' | 'pgBot' | 'pgBench'; last: number }>();
  readonly #total = { pgApi: 0, pgBot: 0, pgBench: 0 };

  constructor(
    readonly pool: pg.Pool,
    readonly api: ChildApp,
    readonly bot: ChildApp,
    readonly appNames: { api: string; bot: string; bench: string },
    readonly redisPid: number | undefined,
  ) {}

  async sample(): Promise<CpuSample> {
    const { rows } = await this.pool.query<{ pid: number; application_name: string }>(
      'SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY($1::text[])',
      [[this.appNames.api, this.appNames.bot, this.appNames.bench]],
    );
    for (const row of rows) {
      const role =
        row.application_name === this.appNames.api
          ? 'pgApi'
          : row.application_name === this.appNames.bot
            ? 'pgBot'
            : 'pgBench';
      const now = procCpuMs(row.pid);
      if (!Number.isFinite(now)) continue;
      const known = this.#backends.get(row.pid);
      this.#total[role] += now - (known?.last ?? 0);
      this.#backends.set(row.pid, { role, last: now });
    }
    const usage = process.cpuUsage();
    return {
      api: this.api.cpuMs(),
      bot: this.bot.cpuMs(),
      ...this.#total,
      redis: procCpuMs(this.redisPid),
      bench: (usage.user + usage.system) / 1000,
    };
  }
}

/** `b - a`, field by field, divided by `per` (e.g. updates), rounded to µs. */
export function cpuDelta(a: CpuSample, b: CpuSample, per: number): CpuSample {
  const d = (k: keyof CpuSample) => Math.round(((b[k] - a[k]) / Math.max(1, per)) * 1000) / 1000;
  return {
    api: d('api'),
    bot: d('bot'),
    pgApi: d('pgApi'),
    pgBot: d('pgBot'),
    pgBench: d('pgBench'),
    redis: d('redis'),
    bench: d('bench'),
  };
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
});

/** A guild of the benchmark: its id, two managers (owner + an ADMINISTRATOR), a text channel. */
export interface BenchGuild {
  guildId: string;
  ownerId: string;
  adminId: string;
  channelId: string;
}

export interface SystemOptions {
  label: string;
  /** Extra guilds created in the emulator before the bot starts (the demo guild is always there). */
  guilds?: number;
  /** Env of the API child on top of the defaults. */
  apiEnv?: Record<string, string>;
  /** Env of the bot child on top of the defaults. */
  botEnv?: Record<string, string>;
  /** `--cpu-prof` on these children, profiles into bench/results/profiles/. */
  cpuProf?: readonly ('api' | 'bot')[];
}

export interface BenchSystem {
  readonly runtime: AppRuntime;
  readonly apiUrl: string;
  readonly api: ChildApp;
  readonly bot: ChildApp;
  readonly emulator: DiscordEmulator;
  /** A pool on the benchmark's schema (this process). */
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly connectionString: string;
  readonly keyPrefix: string;
  /** The demo guild and the created ones. */
  readonly guilds: readonly BenchGuild[];
  /** e.g. `PostgreSQL 15.20, synchronous_commit=on, fsync=on, wal_sync_method=fdatasync` */
  readonly postgres: string;
  /** CPU ms used so far by each part of the system (see {@link CpuMeter}). */
  readonly cpu: CpuMeter;
  /** A panel JWT for `userId`: a `panel_sessions` row plus an HS256 token, as the API mints them. */
  tokenFor(userId: string): Promise<string>;
  /** Makes the bot load every guild into its L1 (a plain message in each guild), then waits a little. */
  warmBotCaches(): Promise<void>;
  /** Stops the children and the emulator, drops the schema and the Redis keys. Idempotent. */
  stop(): Promise<void>;
}

/** Extra env of a child from a JSON object in `name` (e.g. BENCH_API_ENV='{"LOG_LEVEL":"debug"}'). */
function extraEnv(name: string): Record<string, string> {
  const raw = process.env[name];
  if (!raw) return {};
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

/** Snowflake-shaped ids for the created guilds and users. */
const id = (base: bigint, i: number): string => String(base + BigInt(i));

/** Where `--cpu-prof` writes (BENCH_CPU_PROF_DIR, default a temporary directory: profiles are big). */
export const PROFILE_DIR = process.env['BENCH_CPU_PROF_DIR'] ?? join(tmpdir(), 'wolaro-bench-profiles');

function appArgs(app: 'panel-api' | 'bot', runtime: AppRuntime, profile: boolean): string[] {
  const prof = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${app}-${Date.now()}.cpuprofile`]
    : [];
  return runtime === 'dist'
    ? [...prof, `examples/${app}/dist/main.js`]
    : [...prof, '--import', 'tsx', `examples/${app}/src/main.ts`];
}

/** Starts everything; resolves once the API answers /api/health and the bot printed `Bot ready`. */
export async function startSystem(options: SystemOptions): Promise<BenchSystem> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const unwind = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  };
  const runtime = appRuntime();
  try {
    const schema = `bench_${options.label}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE SCHEMA ${schema}`);
    cleanups.push(async () => {
      // BENCH_KEEP_SCHEMA=1 leaves the data for a post-mortem (drop it yourself after).
      if (process.env['BENCH_KEEP_SCHEMA'] === '1') console.log(`kept schema ${schema}`);
      else await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    });
    const connectionString = withSearchPath(DATABASE_URL, schema);
    const appNames = { api: `${schema}_api`, bot: `${schema}_bot`, bench: `${schema}_bench` };
    const pool = new pg.Pool({ connectionString: withAppName(connectionString, appNames.bench), max: 6 });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());

    const keyPrefix = `bench${randomBytes(5).toString('hex')}:`;
    cleanups.push(() => deleteKeys(keyPrefix));

    const emulator = await startEmulator({ port: 0, seed: 'demo', rateLimit: false });
    cleanups.push(() => emulator.stop());
    const guilds: BenchGuild[] = [
      {
        guildId: DEMO.guildId,
        ownerId: DEMO.users.owner,
        adminId: DEMO.users.admin,
        channelId: DEMO.channels.general,
      },
    ];
    for (let i = 0; i < (options.guilds ?? 0); i++) {
      const g: BenchGuild = {
        guildId: id(500_000_000_000_000_000n, i),
        ownerId: id(510_000_000_000_000_000n, i),
        adminId: id(520_000_000_000_000_000n, i),
        channelId: id(530_000_000_000_000_000n, i),
      };
      emulator.control.createUser({ id: g.ownerId, username: `owner${i}` });
      emulator.control.createGuild({
        id: g.guildId,
        name: `Bench ${i}`,
        ownerId: g.ownerId,
        roles: [{ name: 'Admin', permissions: '8' }],
        channels: [{ id: g.channelId, name: 'general' }],
        members: [{ userId: g.adminId, user: { username: `admin${i}` }, roles: ['Admin'] }],
      });
      guilds.push(g);
    }

    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const common: Record<string, string> = {
      NODE_ENV: 'production',
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      DISCORD_API_URL: emulator.apiUrl,
      DISCORD_TOKEN: emulator.botToken,
    };
    const prof = new Set(options.cpuProf ?? []);
    if (prof.size > 0) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      console.log(
        `CPU profiles of ${[...prof].join(', ')} go to ${PROFILE_DIR} (written when the apps exit)`,
      );
    }
    // The API first: it runs the migrations; the bot would too (idempotent, advisory lock).
    const api = new ChildApp('api', appArgs('panel-api', runtime, prof.has('api')), {
      ...common,
      DATABASE_URL: withAppName(connectionString, appNames.api),
      JWT_SECRET,
      HOST: '127.0.0.1',
      PORT: String(port),
      PANEL_ORIGIN: apiUrl,
      DISCORD_CLIENT_ID: emulator.applicationId,
      DISCORD_CLIENT_SECRET: emulator.clientSecret,
      LOG_LEVEL: 'info',
      RATE_LIMIT_MAX: '1000000',
      ...options.apiEnv,
      ...extraEnv('BENCH_API_ENV'),
    });
    cleanups.push(() => api.stop());
    await waitUntil(
      async () => {
        if (api.exited) throw new Error(`panel API exited\n${api.tail()}`);
        try {
          const res = await fetch(`${apiUrl}/api/health`, { signal: AbortSignal.timeout(2000) });
          await res.body?.cancel();
          return res.status === 200;
        } catch {
          return false;
        }
      },
      60_000,
      `GET ${apiUrl}/api/health → 200`,
      50,
    );
    const bot = new ChildApp('bot', appArgs('bot', runtime, prof.has('bot')), {
      ...common,
      DATABASE_URL: withAppName(connectionString, appNames.bot),
      LOG_LEVEL: 'debug',
      ...options.botEnv,
      ...extraEnv('BENCH_BOT_ENV'),
    });
    cleanups.push(() => bot.stop());
    await bot.waitForLine('Bot ready', 120_000);

    // Every guild in the database with bot_present, before anyone asks.
    const ids = guilds.map((g) => g.guildId);
    await waitUntil(
      async () => {
        const { rows } = await pool.query<{ n: string }>(
          'SELECT count(*) AS n FROM guilds WHERE guild_id = ANY($1::text[]) AND bot_present',
          [ids],
        );
        return Number(rows[0]?.n) === ids.length;
      },
      30_000,
      'every guild in the database',
    );

    const settings = await pool.query<{ v: string; sc: string; f: string; w: string }>(
      `SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc,
              current_setting('fsync') AS f, current_setting('wal_sync_method') AS w`,
    );
    const pgRow = settings.rows[0];
    const postgres = pgRow
      ? `PostgreSQL ${pgRow.v.split(' ')[0]} (synchronous_commit=${pgRow.sc}, fsync=${pgRow.f}, wal_sync_method=${pgRow.w})`
      : 'PostgreSQL';

    const redisInfo = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redisInfo.on('error', () => {});
    let redisPid: number | undefined;
    try {
      await redisInfo.connect();
      const info = await redisInfo.info('server');
      const match = /process_id:(\d+)/.exec(info);
      redisPid = match ? Number(match[1]) : undefined;
    } catch {
      // no pid: the Redis share is left out
    } finally {
      redisInfo.disconnect();
    }
    const cpu = new CpuMeter(pool, api, bot, appNames, redisPid);

    let stopped: Promise<void> | undefined;
    return {
      cpu,
      postgres,
      runtime,
      apiUrl,
      api,
      bot,
      emulator,
      pool,
      schema,
      connectionString,
      keyPrefix,
      guilds,
      async tokenFor(userId) {
        const session = await createSession(pool, { userId, ttlSeconds: 3 * 3600 });
        return new SignJWT({ sid: session.sessionId })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(userId)
          .setIssuer(TOKEN_ISSUER)
          .setIssuedAt()
          .setExpirationTime(Math.floor(session.expiresAt.getTime() / 1000))
          .sign(new TextEncoder().encode(JWT_SECRET));
      },
      async warmBotCaches() {
        for (const g of guilds) {
          emulator.control.sendMessage(g.channelId, { authorId: g.ownerId, content: 'bench warm-up' });
        }
        await sleep(500 + guilds.length * 5);
      },
      stop() {
        stopped ??= unwind();
        return stopped;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** Deletes the benchmark's Redis keys (SCAN, bounded). */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}
