/**
 * The production-shaped stack of a chaos run: a private `redis-server` (the harness may kill, freeze
 * and restart it), two in-process TCP proxies (apps → Redis, apps → Postgres) for network faults,
 * and the bench system on top (`startSystem`: a fresh Postgres schema, the Discord emulator in
 * this process, N panel API processes and the bot as separate processes). This process keeps a
 * direct pool on the schema for its checks, so a cut link only cuts the apps off.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import {
  type RedisServerHandle,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
} from '@wolaro/test-harness/node';
import { type BenchSystem, DATABASE_URL, startSystem } from '../system.js';
import type { ChaosSettings } from './settings.js';

/** The running stack. */
export interface ChaosStack {
  readonly sys: BenchSystem;
  readonly redis: RedisServerHandle;
  /**
   * Apps → Redis and apps → Postgres, when a round needs them: they run in this process, so on a
   * starved machine they are part of the data path of every other round too.
   */
  readonly proxies: { readonly redis: TcpProxy; readonly pg: TcpProxy } | undefined;
  /** Resident memory (kB, /proc VmRSS) of each process of the system, by name. */
  rss(): Record<string, number | null>;
  stop(): Promise<void>;
}

/** VmRSS of a process in kB, `null` when it is not running (or not on Linux). */
export function rssKb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Starts Redis, the proxies and the system (its schema in `databaseUrl`'s database). */
export async function startChaosStack(
  settings: ChaosSettings,
  options: { label: string; databaseUrl?: string | undefined; log?: ((line: string) => void) | undefined },
): Promise<ChaosStack> {
  const log = options.log ?? (() => {});
  const databaseUrl = options.databaseUrl ?? DATABASE_URL;
  // A loaded machine may take a while to answer the first PING after a restart.
  const redis = await startRedisServer({ startTimeoutMs: 60_000, pingTimeoutMs: 2000 });
  const pgTarget = new URL(databaseUrl);
  const proxies = settings.scenarios.some((s) => s.startsWith('proxy-'))
    ? {
        redis: await startTcpProxy({ targetPort: redis.port }),
        pg: await startTcpProxy({ targetHost: pgTarget.hostname, targetPort: Number(pgTarget.port || 5432) }),
      }
    : undefined;
  const closeNet = async () => {
    await proxies?.redis.close();
    await proxies?.pg.close();
    await redis.stop();
  };
  log(
    `private redis-server on ${redis.port}${proxies ? `, proxies: redis ${proxies.redis.port}, postgres ${proxies.pg.port}` : ''}`,
  );
  let sys: BenchSystem;
  try {
    sys = await startSystem({
      label: options.label,
      databaseUrl,
      guilds: settings.guilds,
      membersPerGuild: settings.commandUsersPerGuild,
      apiNodes: settings.apiNodes,
      redisUrl: proxies ? proxies.redis.url('redis') : redis.url,
      ...(proxies ? { appDatabaseUrl: (url: string) => proxies.pg.url(url) } : {}),
      cleanup: closeNet,
      // Writes are what the run measures: the per-IP limit is lifted (the driver is one address).
      apiEnv: { RATE_LIMIT_MAX: '1000000' },
      // The bot prints `Config of guild … reloaded (version n)` at debug: the harness follows it.
      botEnv: { LOG_LEVEL: 'debug' },
    });
  } catch (err) {
    await closeNet();
    throw err;
  }
  keepLogs(sys, process.env['CHAOS_LOG_DIR']);
  return {
    sys,
    redis,
    proxies,
    rss: () => ({
      ...Object.fromEntries(
        sys.apis.map((a, i) => [`api${i + 1}`, rssKb(a.running ? a.child.pid : undefined)]),
      ),
      bot: rssKb(sys.bot.running ? sys.bot.child.pid : undefined),
      redis: rssKb(redis.pid),
      harness: Math.round(process.memoryUsage().rss / 1024),
    }),
    stop: () => sys.stop(),
  };
}

/**
 * With `CHAOS_LOG_DIR` set, every line the apps print goes to `<dir>/bot.log`, `api1.log`, … (the
 * run otherwise keeps only the last lines of a process that died), to see what a round did.
 */
function keepLogs(sys: BenchSystem, dir: string | undefined): void {
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const apps = new Map([['bot', sys.bot], ...sys.apis.map((api, i) => [`api${i + 1}`, api] as const)]);
  for (const [name, app] of apps) {
    app.logs.onLine((line) => appendFileSync(`${dir}/${name}.log`, `${line.text}\n`));
  }
}
