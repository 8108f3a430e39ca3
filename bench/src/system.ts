/**
 * Starts the production shape of Wolaro Sync for a benchmark, and stops it after: the harness's
 * system launcher (`launchSystem` of @wolaro/test-harness: a fresh Postgres schema on DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test with durable commits; Redis on REDIS_URL, default
 * redis://127.0.0.1:6379, under a unique key prefix; the Discord emulator in this process; the panel
 * API and the bot as SEPARATE child processes configured from the environment only) with what a
 * benchmark adds: the apps from their build when it exists (`node examples/<app>/dist/main.js`,
 * BENCH_APPS=dist, else BENCH_APPS=src: through tsx), extra guilds, Postgres `application_name`s and
 * CPU accounting per part, and no parsing of the apps' output (listeners get each line stamped with
 * `performance.now()` on arrival, so the bench times the bot's log lines on its own clock).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEMO, type DiscordEmulator } from '@wolaro/discord-emulator';
import {
  type ApiNode,
  type AppRuntime,
  appRuntime,
  type ControlledApp,
  deleteKeys,
  guildIdOnShard,
  type LaunchedSystem,
  launchSystem,
  PROFILE_DIR,
  type RunningApp,
  redisPid,
  sleep,
} from '@wolaro/test-harness/node';
import type pg from 'pg';

export { DEMO, PROFILE_DIR };

export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

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

/** Resident set size of a process in bytes from /proc/<pid>/status (VmRSS), NaN elsewhere. */
export function procRssBytes(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
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
 * Cumulative CPU ms of the Postgres backends of some `application_name`s, by role: the backends are
 * found in pg_stat_activity and read from /proc (Linux). A backend that exits between two samples
 * loses its last slice.
 */
export class BackendCpu<R extends string> {
  readonly #backends = new Map<number, { role: R; last: number }>();
  readonly #total: Record<R, number>;
  readonly #roleOf: Map<string, R>;

  /** `names`: role → `application_name`. */
  constructor(
    readonly pool: pg.Pool,
    names: Readonly<Record<R, string>>,
  ) {
    const roles = Object.keys(names) as R[];
    this.#roleOf = new Map(roles.map((role) => [names[role], role]));
    this.#total = Object.fromEntries(roles.map((role) => [role, 0])) as Record<R, number>;
  }

  async sample(): Promise<Record<R, number>> {
    const { rows } = await this.pool.query<{ pid: number; application_name: string }>(
      'SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY($1::text[])',
      [[...this.#roleOf.keys()]],
    );
    for (const row of rows) {
      const role = this.#roleOf.get(row.application_name);
      const now = procCpuMs(row.pid);
      if (role === undefined || !Number.isFinite(now)) continue;
      const known = this.#backends.get(row.pid);
      this.#total[role] += now - (known?.last ?? 0);
      this.#backends.set(row.pid, { role, last: now });
    }
    return { ...this.#total };
  }
}

/**
 * Cumulative CPU time of every part of the system, from /proc (Linux): the two children, their
 * Postgres backends ({@link BackendCpu}), the Redis server, and this process.
 */
export class CpuMeter {
  readonly #backends: BackendCpu<'pgApi' | 'pgBot' | 'pgBench'>;

  constructor(
    readonly pool: pg.Pool,
    readonly api: RunningApp,
    readonly bot: RunningApp,
    readonly appNames: { api: string; bot: string; bench: string },
    readonly redisPid: number | undefined,
  ) {
    this.#backends = new BackendCpu(pool, {
      pgApi: appNames.api,
      pgBot: appNames.bot,
      pgBench: appNames.bench,
    });
  }

  async sample(): Promise<CpuSample> {
    const backends = await this.#backends.sample();
    const usage = process.cpuUsage();
    return {
      api: procCpuMs(this.api.child.pid),
      bot: procCpuMs(this.bot.child.pid),
      ...backends,
      redis: procCpuMs(this.redisPid),
      bench: (usage.user + usage.system) / 1000,
    };
  }
}

/** `b - a`, field by field, divided by `per` (e.g. updates), rounded to µs. */
export function cpuDelta<T extends { readonly [K in keyof T]: number }>(a: T, b: T, per: number): T {
  const out = {} as { [K in keyof T]: number };
  for (const k of Object.keys(a) as (keyof T)[]) {
    out[k] = Math.round(((b[k] - a[k]) / Math.max(1, per)) * 1000) / 1000;
  }
  return out as T;
}

/** A guild of the benchmark: its id, two managers (owner + an ADMINISTRATOR), a text channel. */
export interface BenchGuild {
  guildId: string;
  ownerId: string;
  adminId: string;
  channelId: string;
  /** Plain members (no role), {@link SystemOptions.membersPerGuild} of them. */
  memberIds: readonly string[];
}

export interface SystemOptions {
  label: string;
  /** Extra guilds created in the emulator before the bot starts (the demo guild is always there). */
  guilds?: number;
  /** Env of the API child on top of the defaults. */
  apiEnv?: Record<string, string>;
  /** Env of the bot child on top of the defaults. */
  botEnv?: Record<string, string>;
  /** `--cpu-prof` on these children, profiles into {@link PROFILE_DIR}. */
  cpuProf?: readonly ('api' | 'bot')[];
  /** Plain members created in each extra guild (default 0). */
  membersPerGuild?: number;
  /** Panel API processes (default 1). */
  apiNodes?: number;
  /** Bot processes, shard `i` of N each (`SHARD_ID`, `SHARD_COUNT`); default one unsharded bot. */
  botShards?: number;
  /** The Redis of the apps (default REDIS_URL, the shared one, whose keys are deleted after). */
  redisUrl?: string;
  /** The apps' `DATABASE_URL` from the schema's (e.g. through a TCP proxy); this process connects directly. */
  appDatabaseUrl?: (url: string) => string;
  /** Runs when the system stops, before the schema is dropped (e.g. stop a private Redis). */
  cleanup?: () => Promise<unknown>;
  /** The Postgres to create the schema in (default DATABASE_URL). */
  databaseUrl?: string;
}

export interface BenchSystem {
  readonly runtime: AppRuntime;
  readonly apiUrl: string;
  readonly api: RunningApp;
  /** Every panel API node (the first is {@link BenchSystem.api}); each can be stopped and started. */
  readonly apis: readonly ApiNode[];
  /** The bot (shard 0 with {@link SystemOptions.botShards}); it can be stopped and started. */
  readonly bot: ControlledApp;
  /** Every bot process, by shard id (one without {@link SystemOptions.botShards}). */
  readonly bots: readonly ControlledApp[];
  /** `application_name` of each part's Postgres connections. */
  readonly appNames: { readonly api: string; readonly bot: string; readonly bench: string };
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
  /** A panel JWT for `userId` (valid 3 h): a `panel_sessions` row plus an HS256 token, as the API mints them. */
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

/** Snowflake-shaped ids for the created users and channels. */
const id = (base: bigint, i: number): string => String(base + BigInt(i));

/**
 * The demo guild, then `count` guilds created in the emulator (an owner, an Admin member,
 * `members` plain members, #general). Guild `i` has the timestamp part `base + i` (bits above 22),
 * so `(id >> 22) % N` takes every value in turn: the guilds are spread evenly over any number of bot
 * shards, as real guild ids are.
 */
function createGuilds(emulator: DiscordEmulator, count: number, members: number): BenchGuild[] {
  const { guildId, users, channels } = DEMO;
  const guilds: BenchGuild[] = [
    { guildId, ownerId: users.owner, adminId: users.admin, channelId: channels.general, memberIds: [] },
  ];
  for (let i = 0; i < count; i++) {
    const g: BenchGuild = {
      guildId: guildIdOnShard(0, 1, i),
      ownerId: id(510_000_000_000_000_000n, i),
      adminId: id(520_000_000_000_000_000n, i),
      channelId: id(530_000_000_000_000_000n, i),
      memberIds: Array.from({ length: members }, (_, k) => id(540_000_000_000_000_000n, i * 1000 + k)),
    };
    emulator.control.createUser({ id: g.ownerId, username: `owner${i}` });
    emulator.control.createGuild({
      id: g.guildId,
      name: `Bench ${i}`,
      ownerId: g.ownerId,
      roles: [{ name: 'Admin', permissions: '8' }],
      channels: [{ id: g.channelId, name: 'general' }],
      members: [
        { userId: g.adminId, user: { username: `admin${i}` }, roles: ['Admin'] },
        ...g.memberIds.map((userId, k) => ({ userId, user: { username: `member${i}_${k}` } })),
      ],
    });
    guilds.push(g);
  }
  return guilds;
}

/** Waits until the bot has put every guild in the database with bot_present. */
async function waitForGuilds(pool: pg.Pool, guilds: readonly BenchGuild[]): Promise<void> {
  const ids = guilds.map((g) => g.guildId);
  const deadline = performance.now() + 30_000;
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM guilds WHERE guild_id = ANY($1::text[]) AND bot_present',
      [ids],
    );
    if (Number(rows[0]?.n) === ids.length) return;
    if (performance.now() > deadline) throw new Error('Timed out after 30000 ms waiting for every guild');
    await sleep(20);
  }
}

/** `PostgreSQL 15.20 (synchronous_commit=on, fsync=on, wal_sync_method=fdatasync)` */
async function postgresLine(pool: pg.Pool): Promise<string> {
  const settings = await pool.query<{ v: string; sc: string; f: string; w: string }>(
    `SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc,
            current_setting('fsync') AS f, current_setting('wal_sync_method') AS w`,
  );
  const row = settings.rows[0];
  return row
    ? `PostgreSQL ${row.v.split(' ')[0]} (synchronous_commit=${row.sc}, fsync=${row.f}, wal_sync_method=${row.w})`
    : 'PostgreSQL';
}

/** Starts everything; resolves once the API answers /api/health and the bot printed `Bot ready`. */
export async function startSystem(options: SystemOptions): Promise<BenchSystem> {
  const keyPrefix = `bench${randomBytes(5).toString('hex')}:`;
  let guilds: BenchGuild[] = [];
  if (options.cpuProf?.length) {
    console.log(
      `CPU profiles of ${options.cpuProf.join(', ')} go to ${PROFILE_DIR} (written when the apps exit)`,
    );
  }
  const childTsconfig = process.env['BENCH_CHILD_TSCONFIG'];
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const sys: LaunchedSystem = await launchSystem({
    label: options.label,
    databaseUrl: options.databaseUrl ?? DATABASE_URL,
    schemaPrefix: 'bench',
    poolMax: 6,
    redisUrl,
    apiNodes: options.apiNodes ?? 1,
    ...(options.botShards ? { botShards: options.botShards } : {}),
    ...(options.appDatabaseUrl ? { appDatabaseUrl: options.appDatabaseUrl } : {}),
    keyPrefix,
    jwtSecret: randomBytes(48).toString('base64url'),
    runtime: appRuntime(),
    emulator: { rateLimit: false },
    prepare: (emulator) => {
      guilds = createGuilds(emulator, options.guilds ?? 0, options.membersPerGuild ?? 0);
    },
    // The API first: it runs the migrations; the bot would too (idempotent, advisory lock).
    apiFirst: true,
    appNames: true,
    keepLogs: false,
    // Hundreds of panels connect from this one address, and the load drives hundreds of writes a
    // second: no HTTP, write or socket connection limits (they protect production, not benchmarks).
    apiEnv: {
      LOG_LEVEL: 'info',
      RATE_LIMIT_MAX: '1000000',
      WRITE_RATE_LIMIT_PER_USER: '1000000',
      WRITE_RATE_LIMIT_PER_GUILD: '1000000',
      SOCKET_CONNECT_LIMIT_PER_IP: '0',
      SOCKET_CONNECT_LIMIT_PER_USER: '0',
      ...options.apiEnv,
      ...extraEnv('BENCH_API_ENV'),
    },
    botEnv: { NODE_ENV: 'production', LOG_LEVEL: 'debug', ...options.botEnv, ...extraEnv('BENCH_BOT_ENV') },
    ...(options.cpuProf ? { cpuProf: options.cpuProf } : {}),
    // BENCH_APPS=src with BENCH_CHILD_TSCONFIG: the apps' tsx reads that tsconfig (e.g. `paths` to a
    // patched copy of a package, to measure a change before making it). Not TSX_TSCONFIG_PATH: the
    // bench's own tsx sets that one.
    ...(childTsconfig ? { childTsconfig } : {}),
    apiTimeoutMs: 60_000,
    botTimeoutMs: 120_000,
    cleanup: async () => {
      await options.cleanup?.();
      if (!options.redisUrl) await deleteKeys(REDIS_URL, keyPrefix);
    },
  });
  try {
    await waitForGuilds(sys.pool, guilds);
    const postgres = await postgresLine(sys.pool);
    const cpu = new CpuMeter(sys.pool, sys.api, sys.bot, sys.appNames, await redisPid(redisUrl));
    // BENCH_KEEP_SCHEMA=1 leaves the data for a post-mortem (drop it yourself after).
    const keepSchema = process.env['BENCH_KEEP_SCHEMA'] === '1';
    return {
      cpu,
      postgres,
      runtime: sys.runtime,
      apiUrl: sys.apiUrl,
      api: sys.api,
      apis: sys.apis,
      bot: sys.bot,
      bots: sys.bots,
      appNames: sys.appNames,
      emulator: sys.emulator,
      pool: sys.pool,
      schema: sys.schema.schema,
      connectionString: sys.schema.connectionString,
      keyPrefix,
      guilds,
      tokenFor: (userId) => sys.tokenFor(userId, 3 * 3600),
      async warmBotCaches() {
        for (const g of guilds) {
          sys.emulator.control.sendMessage(g.channelId, { authorId: g.ownerId, content: 'bench warm-up' });
        }
        await sleep(500 + guilds.length * 5);
      },
      async stop() {
        if (keepSchema) console.log(`kept schema ${sys.schema.schema}`);
        await sys.stop({ keepSchema });
      },
    };
  } catch (err) {
    await sys.stop();
    throw err;
  }
}
