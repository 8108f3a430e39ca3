/**
 * One run of the scale benchmark (see main.ts): starts the cluster and the system, connects the
 * sockets, measures memory, the raw floor, drives the load, kills the bus's master, drains and
 * evaluates. Used by `npm run bench:scale` and by its short variant in the system tests.
 */
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type RedisClusterHandle, sleep, startRedisCluster, waitFor } from '@wolaro/test-harness/node';
import * as stats from '@wolaro/test-harness/report';
import { ApiClient } from '../chaos/http.js';
import { type LoadGuild, WriteDriver } from '../chaos/writes.js';
import { type BenchSystem, startSystem } from '../system.js';
import { Consumers, shardOf } from './consumers.js';
import { answers, delivery, perSecond, recovery, unitCosts } from './evaluate.js';
import { BusFloor, CostMeter, fanoutCost, retried, rssOf } from './probe.js';
import type { ScaleResults } from './report.js';
import { SCALE_POOLS, type ScaleSettings } from './settings.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** A payload the size of a `config:update` event on the bus. */
const FLOOR_PAYLOAD = JSON.stringify({
  v: 1,
  channel: 'config:update',
  data: { guildId: '1258291200000004242', version: 12, settings: { prefix: '!', language: 'en' } },
  id: '00000000-0000-4000-8000-000000000000',
  sig: 'x'.repeat(43),
});

/** Where a run reports to. */
export interface ScaleRunOptions {
  /** The Postgres to create the schema in (default DATABASE_URL). */
  databaseUrl?: string;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
  /** Every line of the apps into this file, stamped (for a post-mortem). */
  logFile?: string;
}

/** The Redis Cluster, the system on it (3 API nodes, the bot shards), its HTTP client and the bus floor. */
async function startScaleStack(s: ScaleSettings, options: ScaleRunOptions, log: (line: string) => void) {
  const cluster: RedisClusterHandle = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  log(`Redis Cluster up: ${cluster.nodesEnv}`);
  const redisEnv = { REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodesEnv };
  // Every process shares one Postgres (max_connections 100 by default): size the pools to fit.
  const poolEnv = (max: number) => ({ DATABASE_POOL_MAX: String(max) });
  const sys = await startSystem({
    label: 'scale',
    guilds: s.guilds,
    apiNodes: s.apiNodes,
    botShards: s.shards,
    redisUrl: `redis://127.0.0.1:${cluster.nodes[0]!.port}`,
    apiEnv: { ...redisEnv, ...poolEnv(SCALE_POOLS.api) },
    botEnv: { ...redisEnv, ...poolEnv(SCALE_POOLS.bot) },
    cleanup: () => cluster.stop(),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  });
  const http = new ApiClient(
    sys.apis.map((a) => a.url),
    s.timeoutMs,
    32,
  );
  if (options.logFile) {
    const out = createWriteStream(options.logFile);
    const apps = [
      ...sys.apis.map((a, i) => [`api${i}`, a] as const),
      ...sys.bots.map((b, i) => [`bot${i}`, b] as const),
    ];
    for (const [name, app] of apps) {
      app.logs.onLine((line) => {
        out.write(`${line.at.toFixed(0)} ${name} ${line.text}\n`);
      });
    }
  }
  return { cluster, sys, http, floor: new BusFloor(cluster) };
}

/**
 * Before the load: sessions for every guild's owner and admin, the sockets connected, the bots'
 * caches warm, memory per socket and per cached guild, the idle bus floor, the bus's fan-out cost
 * and the idle cost of the whole system.
 */
async function prepare(
  s: ScaleSettings,
  stack: Awaited<ReturnType<typeof startScaleStack>>,
  consumers: Consumers,
  meter: CostMeter,
  log: (line: string) => void,
) {
  const { sys, cluster, floor } = stack;
  const guilds = sys.guilds.slice(1);
  const tokens: [string, string][] = [];
  for (const g of guilds) {
    tokens.push([await retried(() => sys.tokenFor(g.ownerId)), await retried(() => sys.tokenFor(g.adminId))]);
  }
  // Memory per socket: RSS of the API nodes before and after the sockets join.
  await sleep(1000);
  const rss0 = rssOf(sys);
  await consumers.connect(s.sockets, tokens);
  await sleep(2000);
  const rss1 = rssOf(sys);
  log(`${consumers.panels.length} sockets connected`);

  // Memory per cached guild: RSS of the bots (and Redis used_memory) before and after they load every guild.
  const mem0 = (await meter.sample()).masterMemory;
  await sys.warmBotCaches();
  await sleep(1000);
  const rss2 = rssOf(sys);
  const mem1 = (await meter.sample()).masterMemory;

  await floor.start();
  const floorIdle = await floor.sequential(s.floor, FLOOR_PAYLOAD);
  log(`idle floor: p50 ${stats.ms(stats.summarize(floorIdle).p50)}`);
  // What each message costs the bus's Redis, per publish and per subscriber it reaches.
  const fanout = await fanoutCost(
    await cluster.masterOf(`{wolaro}${sys.keyPrefix}config:update`),
    `{wolaro}bench-fanout:${process.pid}`,
    s.fanoutSubscribers,
    s.fanoutMessages,
    FLOOR_PAYLOAD,
  );
  log(`fan-out: ${JSON.stringify(fanout)}`);

  // The idle cost: the same system, sockets connected and caches warm, no writes.
  const idleA = await meter.sample();
  await sleep(5000);
  const idleB = await meter.sample();
  return {
    tokens,
    rss: [rss0, rss1, rss2] as const,
    redisMemory: [mem0, mem1] as const,
    floorIdle,
    fanout,
    idle: { a: idleA, b: idleB },
  };
}

/**
 * The load: a warm-up, then `s.rate` writes/s for `s.seconds` with the floor probed beside it,
 * the bus's master killed at `s.killAt` of the run (if set) and the cluster's recovery awaited.
 */
async function loadAndKill(
  s: ScaleSettings,
  stack: Awaited<ReturnType<typeof startScaleStack>>,
  consumers: Consumers,
  meter: CostMeter,
  tokens: [string, string][],
  databaseVersions: () => Promise<number[]>,
  log: (line: string) => void,
  stampKill: boolean,
) {
  const { sys, cluster, floor, http } = stack;
  const loadGuilds: LoadGuild[] = sys.guilds.slice(1).map((g, i) => ({
    guildId: g.guildId,
    channelId: g.channelId,
    ownerId: g.ownerId,
    memberIds: g.memberIds,
    tokens: tokens[i]!,
  }));
  const driver = new WriteDriver(http, loadGuilds, {
    rate: s.rate,
    guildWriteCap: 0,
    respectRetryAfter: false,
  });
  if (s.warmup > 0) {
    driver.start();
    await sleep(s.warmup * 1000);
    await driver.stop(s.timeoutMs);
  }
  await sleep(1000);
  consumers.reset();

  const masterSet = new Set(await cluster.masters());
  const masterIndexes = new Set(cluster.nodes.flatMap((n, i) => (masterSet.has(n) ? [i] : [])));
  const busMaster = await cluster.masterOf(`{wolaro}${sys.keyPrefix}config:update`);
  const loadBefore = stats.loadAverage();
  const costA = await meter.sample();
  driver.start();
  const t0 = performance.now();
  floor.startProbe(20, FLOOR_PAYLOAD);
  const killAfter = s.killAt > 0 ? s.killAt * s.seconds * 1000 : s.seconds * 1000;
  await sleep(killAfter);
  const floorLoaded = await floor.stopProbe();
  const costB = await meter.sample();
  const steadyEnd = performance.now();
  let killAt = Number.NaN;
  let okAt = Number.NaN;
  let versionsAtOk: number[] = [];
  if (s.killAt > 0) {
    killAt = performance.now();
    if (stampKill) log(`kill at ${killAt.toFixed(0)}`);
    await cluster.kill(busMaster);
    log(`killed the bus's master (port ${busMaster.port}) at ${((killAt - t0) / 1000).toFixed(1)} s`);
    await cluster.waitUntilOk(30_000);
    okAt = performance.now();
    log(`cluster ok again after ${stats.ms(okAt - killAt)}`);
    versionsAtOk = await databaseVersions();
    await sleep(Math.max(0, t0 + s.seconds * 1000 - performance.now()));
  }
  await driver.stop(s.timeoutMs);
  return {
    records: driver.records,
    t0,
    steadyEnd,
    killAt,
    okAt,
    versionsAtOk,
    busMaster,
    masterIndexes,
    load: { before: loadBefore, after: stats.loadAverage() },
    cost: { a: costA, b: costB },
    floorLoaded,
  };
}

/** Memory per socket and per cached guild, from the RSS and Redis memory samples of {@link prepare}. */
function memoryResults(
  sys: BenchSystem,
  consumers: Consumers,
  perShard: number[],
  prepared: Awaited<ReturnType<typeof prepare>>,
): ScaleResults['memory'] {
  const [rss0, rss1, rss2] = prepared.rss;
  const [mem0, mem1] = prepared.redisMemory;
  const guilds = sys.guilds.length - 1;
  return {
    rssPerSocket: stats.round((sum(rss1.apis) - sum(rss0.apis)) / Math.max(1, consumers.panels.length), 0),
    rssPerCachedGuild: stats.round((sum(rss2.bots) - sum(rss1.bots)) / guilds, 0),
    apiRssPerSocket: sys.apis.map((_, n) => {
      const count = consumers.panels.filter((p) => p.node === n).length;
      return stats.round((rss1.apis[n]! - rss0.apis[n]!) / Math.max(1, count), 0);
    }),
    botRssPerCachedGuild: sys.bots.map((_, k) =>
      stats.round((rss2.bots[k]! - rss1.bots[k]!) / Math.max(1, perShard[k]!), 0),
    ),
    botRssTotalPerGuild: sys.bots.map((_, k) => stats.round(rss2.bots[k]! / Math.max(1, perShard[k]!), 0)),
    apiRss: rss1.apis,
    botRss: rss2.bots,
    redisBytesPerCachedGuild: stats.round((mem1 - mem0) / guilds, 0),
  };
}

/**
 * Runs the scale benchmark once with settings `s` (see {@link scaleSettings}) and returns its
 * results; everything it started is stopped before it resolves.
 */
export async function runScale(s: ScaleSettings, options: ScaleRunOptions = {}): Promise<ScaleResults> {
  const log = options.log ?? ((line: string) => console.log(line));
  const loadAtStart = stats.loadAverage();
  const stack = await startScaleStack(s, options, log);
  const { sys, cluster } = stack;
  const guilds = sys.guilds.slice(1);
  const consumers = new Consumers(sys, guilds);
  try {
    /** Each guild's version in the database now. */
    const databaseVersions = async (): Promise<number[]> => {
      const { rows } = await retried(() =>
        sys.pool.query<{ guild_id: string; version: string }>(
          'SELECT guild_id, version FROM guilds WHERE guild_id = ANY($1::text[])',
          [guilds.map((g) => g.guildId)],
        ),
      );
      const byId = new Map(rows.map((r) => [r.guild_id, Number(r.version)]));
      return guilds.map((g) => byId.get(g.guildId) ?? 0);
    };
    const perShard = sys.bots.map((_, k) => guilds.filter((g) => shardOf(g.guildId, s.shards) === k).length);
    log(`apps up (${sys.runtime}); guilds per shard: ${perShard.join(' / ')}`);
    const meter = new CostMeter(
      sys,
      cluster,
      guilds.map((g) => g.guildId),
    );
    const prepared = await prepare(s, stack, consumers, meter, log);
    const run = await loadAndKill(
      s,
      stack,
      consumers,
      meter,
      prepared.tokens,
      databaseVersions,
      log,
      options.logFile !== undefined,
    );
    const { records, steadyEnd } = run;

    // Drain: every consumer reaches the database's version of its guild (bounded).
    const versions = await databaseVersions();
    const drainStart = performance.now();
    const drained = await waitFor(() => consumers.current(versions), {
      timeoutMs: s.drainMs,
      intervalMs: 100,
      message: 'every consumer holds the database version',
    }).then(
      () => true,
      () => false,
    );
    log(`drained: ${drained} (${stats.ms(performance.now() - drainStart)})`);

    const acked = records.filter((r) => r.version !== undefined);
    const steady = acked.filter((r) => r.sentAt < steadyEnd);
    const after = acked.filter((r) => r.sentAt >= steadyEnd);
    // Every update the system did in the window, acknowledged or not (a PATCH whose answer came
    // too late was still committed and published): the CPU was spent on all of them.
    const steadyUpdates = run.cost.b.committed - run.cost.a.committed;
    return {
      settings: s,
      machine: stats.machine(),
      apps: sys.runtime,
      postgres: sys.postgres,
      load: { atStart: loadAtStart, ...run.load },
      guildsPerShard: perShard,
      socketsPerNode: sys.apis.map((_, n) => consumers.panels.filter((p) => p.node === n).length),
      answers: { steady: answers(records.filter((r) => r.sentAt < steadyEnd)), all: answers(records) },
      achievedRate: stats.round((acked.length * 1000) / (s.seconds * 1000), 1),
      steady: delivery(consumers, steady),
      afterKill: s.killAt > 0 ? delivery(consumers, after) : undefined,
      failover:
        s.killAt > 0
          ? {
              killedPort: run.busMaster.port,
              promotedMs: stats.round(run.okAt - run.killAt, 0),
              recoveryMs: stats.round(recovery(consumers, run.versionsAtOk, run.killAt), 0),
            }
          : undefined,
      drained,
      panelReloads: { reloads: consumers.reloads, failedLoads: consumers.failedLoads },
      staleGuilds: consumers.staleGuilds(versions),
      floor: { idle: stats.summarize(prepared.floorIdle), loaded: stats.summarize(run.floorLoaded) },
      fanout: prepared.fanout,
      costs: unitCosts(run.cost, prepared.idle, steadyUpdates, run.masterIndexes),
      perSecond: perSecond(records, run.t0, s.seconds),
      memory: memoryResults(sys, consumers, perShard, prepared),
    };
  } finally {
    stack.floor.close();
    consumers.close();
    await stack.http.close();
    await sys.stop();
  }
}
