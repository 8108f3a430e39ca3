/**
 * bench:cache — GuildConfigCache and RedisFallbackManager beside raw lru-cache, raw ioredis and
 * bentocache, on the same data, in one run. Throughput rounds rotate the order; the report gives
 * medians over rounds.
 *
 *   npm run bench:cache -w packages/wolaro-sync          (REDIS_URL or redis://127.0.0.1:6379)
 *
 * Env: ROUNDS (5), SYNC_N (3,000,000 ops per round for sync reads), ASYNC_N (1,000,000), BENTO_N (200,000),
 * LATENCY_N (5,000), ZIPF_N (500,000). Prints a markdown table and writes the repository's bench/results/cache.json.
 */
import { fork } from 'node:child_process';

import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { machine, machineLine, median, percentile, writeReport } from '@wolaro/test-harness/report';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import {
  cacheKeys,
  type GuildConfig,
  GuildConfigCache,
  MemoryBus,
  MemoryTransport,
  RedisFallbackManager,
  SyncClient,
} from '../src/index.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const SYNC_N = Number(process.env['SYNC_N'] ?? 3_000_000);
const ASYNC_N = Number(process.env['ASYNC_N'] ?? 1_000_000);
const BENTO_N = Number(process.env['BENTO_N'] ?? 200_000);
const LATENCY_N = Number(process.env['LATENCY_N'] ?? 5_000);
const ZIPF_N = Number(process.env['ZIPF_N'] ?? 500_000);
const GUILDS = 100_000;
const HOT = 1024; // keys read in the throughput loops (all L1 hits)

const guildId = (i: number): string => String(100_000_000_000_000_000n + BigInt(i));

/** A realistic guild config (~450 bytes of JSON). */
function makeConfig(i: number, version = 1): GuildConfig {
  return {
    settings: {
      prefix: i % 3 === 0 ? '!' : '?',
      language: i % 2 === 0 ? 'fr' : 'en',
      logChannelId: String(900_000_000_000_000_000n + BigInt(i)),
      welcomeMessage: `Bienvenue sur le serveur ${i} !`,
      timezone: 'Europe/Paris',
    },
    modules: {
      moderation: {
        enabled: true,
        config: { muteRoleId: String(800_000_000_000_000_000n + BigInt(i)), maxWarns: 3 },
      },
      welcome: { enabled: i % 2 === 0, config: { channelId: String(700_000_000_000_000_000n + BigInt(i)) } },
      logging: { enabled: false },
    },
    version,
  };
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Results go here so the optimizer cannot drop the reads being measured. */
const blackhole: { value: unknown } = { value: undefined };

function opsPerSec(n: number, ms: number): number {
  return (n / ms) * 1000;
}

function timeSync(n: number, fn: (key: string) => unknown, keys: readonly string[]): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) blackhole.value = fn(keys[i & (HOT - 1)]!);
  return opsPerSec(n, performance.now() - t0);
}

async function timeAsync(
  n: number,
  fn: (key: string) => Promise<unknown>,
  keys: readonly string[],
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) blackhole.value = await fn(keys[i & (HOT - 1)]!);
  return opsPerSec(n, performance.now() - t0);
}

function memorySync(): SyncClient {
  return new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
}

async function throughput(keys: readonly string[], redis: Redis) {
  const configs = keys.map((_, i) => makeConfig(i));
  const lru = new LRUCache<string, GuildConfig>({ max: 10_000, ttl: 3_600_000 });
  for (const [i, k] of keys.entries()) lru.set(k, configs[i]!);
  const asyncLru = async (k: string) => lru.get(k);

  const sync = memorySync();
  await sync.connect();
  const cache = new RedisFallbackManager({ redis, keyPrefix: 'bench:cache:l1:' });
  const byId = new Map(keys.map((k, i) => [k, configs[i]!]));
  const guilds = new GuildConfigCache({ sync, cache, load: async (id) => byId.get(id) ?? null });
  await guilds.start();
  for (const k of keys) await guilds.get(k);

  const bentoDefault = new BentoCache({
    default: 'tiered',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000 }))
        .useL2Layer(redisDriver({ connection: new Redis(REDIS_URL) })), // bentocache closes it
    },
  });
  const bentoNoSerialize = new BentoCache({
    default: 'tiered',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false }))
        .useL2Layer(redisDriver({ connection: new Redis(REDIS_URL) })), // bentocache closes it
    },
  });
  for (const [i, k] of keys.entries()) {
    await bentoDefault.set({ key: `bench:bento:${k}`, value: configs[i], ttl: '1h' });
    await bentoNoSerialize.set({ key: `bench:bento2:${k}`, value: configs[i], ttl: '1h' });
  }
  const bentoKeys = keys.map((k) => `bench:bento:${k}`);
  const bento2Keys = keys.map((k) => `bench:bento2:${k}`);

  const cases: Record<string, () => number | Promise<number>> = {
    'lru-cache get (raw, TTL)': () => timeSync(SYNC_N, (k) => lru.get(k), keys),
    'GuildConfigCache.peek': () => timeSync(SYNC_N, (k) => guilds.peek(k), keys),
    'async wrapper over lru-cache get': () => timeAsync(ASYNC_N, asyncLru, keys),
    'GuildConfigCache.get (L1 hit)': () => timeAsync(ASYNC_N, (k) => guilds.get(k), keys),
    'bentocache get (L1 hit, default)': () =>
      timeAsync(BENTO_N, (k) => bentoDefault.get({ key: k }), bentoKeys),
    'bentocache get (L1 hit, serialize: false)': () =>
      timeAsync(BENTO_N, (k) => bentoNoSerialize.get({ key: k }), bento2Keys),
  };
  const names = Object.keys(cases);
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const name of names) await cases[name]!(); // warm-up (JIT)
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const name of order) {
      gc();
      samples.get(name)!.push(await cases[name]!());
    }
  }
  guilds.stop();
  await Promise.all([bentoDefault.disconnect(), bentoNoSerialize.disconnect(), sync.close(), cache.close()]);
  return Object.fromEntries(names.map((n) => [n, median(samples.get(n)!)]));
}

async function l2Latency(redis: Redis) {
  const n = 1000;
  const keyPrefix = 'bench:cache:l2:';
  const keys = Array.from({ length: n }, (_, i) => guildId(i));
  const seed = new RedisFallbackManager({ redis, keyPrefix });
  for (const [i, k] of keys.entries())
    await seed.setJSON(cacheKeys.guildConfig(k), makeConfig(i), { version: 1 });
  // The raw baseline reads the very same bytes.
  const rawKeys = keys.map((k) => `${keyPrefix}${cacheKeys.guildConfig(k)}`);
  const sync = memorySync();
  await sync.connect();
  const cache = new RedisFallbackManager({ redis, keyPrefix });
  // L1 of one entry and keys read round-robin: every get misses L1 and hits L2.
  const guilds = new GuildConfigCache({
    sync,
    cache,
    load: async () => {
      throw new Error('L2 should answer');
    },
    // Entries seeded before start() are confirmed once against the "database" (all at version 1).
    loadVersions: async (ids) => new Map(ids.map((id) => [id, 1])),
    l1: { max: 1 },
  });
  await guilds.start();
  const measure = async (fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await fn(i); // warm-up: every key once
    const out: number[] = [];
    for (let i = 0; i < LATENCY_N; i++) {
      const t0 = performance.now();
      blackhole.value = await fn(i % n);
      out.push((performance.now() - t0) * 1000);
    }
    return out.sort((a, b) => a - b);
  };
  const rounds = { raw: [] as number[][], get: [] as number[][] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.raw.push(await measure((i) => redis.get(rawKeys[i]!)));
    rounds.get.push(await measure((i) => guilds.get(keys[i]!)));
  }
  if (guilds.stats().loads > 0) throw new Error('L2 latency bench: a get missed L2');
  guilds.stop();
  await Promise.all([sync.close(), cache.close(), seed.close()]);
  const stat = (runs: number[][], p: number) => median(runs.map((r) => percentile(r, p)));
  return {
    rawGetP50us: stat(rounds.raw, 50),
    rawGetP99us: stat(rounds.raw, 99),
    l2HitP50us: stat(rounds.get, 50),
    l2HitP99us: stat(rounds.get, 99),
  };
}

/** Seeded PRNG (mulberry32), so every run sees the same request sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf(s) over `n` ranks: a sampler from a precomputed CDF. */
function zipf(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return () => {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function zipfHitRate(redis: Redis) {
  const next = zipf(GUILDS, 1.0, mulberry32(42));
  // Ranks map to scattered guild ids, so popularity does not follow insertion order.
  const ids = Array.from({ length: GUILDS }, (_, i) => guildId((i * 7919) % GUILDS));
  const sync = memorySync();
  await sync.connect();
  const keyPrefix = `bench:cache:zipf:${Date.now()}:`;
  const cache = new RedisFallbackManager({ redis, keyPrefix });
  let loads = 0;
  const guilds = new GuildConfigCache({
    sync,
    cache,
    load: async (id) => {
      loads++;
      return makeConfig(Number(id.slice(-6)));
    },
  });
  await guilds.start();
  for (let i = 0; i < ZIPF_N / 5; i++) await guilds.get(ids[next()]!); // warm-up
  const before = { ...guilds.stats(), loads };
  for (let i = 0; i < ZIPF_N; i++) await guilds.get(ids[next()]!);
  const after = guilds.stats();
  guilds.stop();
  await Promise.all([sync.close(), cache.close()]);
  const hits = after.hits - before.hits;
  const l2 = after.l2Hits - before.l2Hits;
  return {
    requests: ZIPF_N,
    l1HitRate: hits / ZIPF_N,
    l1OrL2HitRate: (hits + l2) / ZIPF_N,
    dbLoadsPerRequest: (loads - before.loads) / ZIPF_N,
  };
}

/** Child-process mode: RSS and heap growth for 100,000 configs held by raw lru-cache or GuildConfigCache. */
async function rssChild(kind: 'lru' | 'GuildConfigCache'): Promise<void> {
  gc();
  const base = process.memoryUsage();
  let holder: unknown;
  if (kind === 'lru') {
    const lru = new LRUCache<string, GuildConfig>({ max: GUILDS, ttl: 3_600_000 });
    for (let i = 0; i < GUILDS; i++) lru.set(guildId(i), makeConfig(i));
    holder = lru;
  } else {
    const sync = memorySync();
    await sync.connect();
    const guilds = new GuildConfigCache({
      sync,
      load: async (id) => makeConfig(Number(id.slice(-6))),
      l1: { max: GUILDS },
    });
    await guilds.start();
    for (let i = 0; i < GUILDS; i++) await guilds.get(guildId(i));
    if (guilds.stats().size !== GUILDS) throw new Error('not all cached');
    holder = guilds;
  }
  gc();
  const now = process.memoryUsage();
  process.send?.({
    rssMB: now.rss / 2 ** 20,
    rssDeltaMB: (now.rss - base.rss) / 2 ** 20,
    heapDeltaMB: (now.heapUsed - base.heapUsed) / 2 ** 20,
  });
  blackhole.value = holder;
  process.exit(0);
}

function measureRss(
  kind: 'lru' | 'GuildConfigCache',
): Promise<{ rssMB: number; rssDeltaMB: number; heapDeltaMB: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--rss-child', kind], { execArgv: process.execArgv });
    child.once('message', (m) => resolve(m as { rssMB: number; rssDeltaMB: number; heapDeltaMB: number }));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`rss child exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = Array.from({ length: HOT }, (_, i) => guildId(i));
  const rss = { lru: await measureRss('lru'), guildConfigCache: await measureRss('GuildConfigCache') };
  const ops = await throughput(keys, redis);
  const latency = await l2Latency(redis);
  const hitRate = await zipfHitRate(redis);
  redis.disconnect();

  const o = (name: string) => ops[name]!;
  const bento = o('bentocache get (L1 hit, default)');
  const targets = {
    peekVsRawLru: o('GuildConfigCache.peek') / o('lru-cache get (raw, TTL)'),
    getVsAsyncLru: o('GuildConfigCache.get (L1 hit)') / o('async wrapper over lru-cache get'),
    peekVsBento: o('GuildConfigCache.peek') / bento,
    getVsBento: o('GuildConfigCache.get (L1 hit)') / bento,
    l2P50OverRawUs: latency.l2HitP50us - latency.rawGetP50us,
  };
  const pass = {
    peekVsRawLru: targets.peekVsRawLru >= 0.5,
    getVsAsyncLru: targets.getVsAsyncLru >= 0.5,
    peekVsBento: targets.peekVsBento >= 10,
    getVsBento: targets.getVsBento >= 10,
    l2P50OverRawUs: targets.l2P50OverRawUs <= 50,
  };
  const f = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
  const ok = (b: boolean) => (b ? 'met' : '**missed**');
  const lines = [
    `Machine: ${machineLine(machine())}. Redis ${REDIS_URL.replace(/\/\/.*@/, '//***@')}; medians of ${ROUNDS} rounds.`,
    '',
    '| measure | result | target |',
    '|---|---|---|',
    ...Object.entries(ops).map(([name, v]) => `| ${name} | ${f(v)} ops/s | |`),
    `| peek / raw lru-cache get | ${targets.peekVsRawLru.toFixed(2)}× | ≥ 0.5× (${ok(pass.peekVsRawLru)}) |`,
    `| get (L1 hit) / async lru-cache wrapper | ${targets.getVsAsyncLru.toFixed(2)}× | ≥ 0.5× (${ok(pass.getVsAsyncLru)}) |`,
    `| peek / bentocache L1-hit get | ${targets.peekVsBento.toFixed(0)}× | ≥ 10× (${ok(pass.peekVsBento)}) |`,
    `| get / bentocache L1-hit get | ${targets.getVsBento.toFixed(1)}× | ≥ 10× (${ok(pass.getVsBento)}) |`,
    `| raw ioredis GET p50 / p99 | ${latency.rawGetP50us.toFixed(0)} / ${latency.rawGetP99us.toFixed(0)} µs | |`,
    `| GuildConfigCache.get L2 hit p50 / p99 | ${latency.l2HitP50us.toFixed(0)} / ${latency.l2HitP99us.toFixed(0)} µs | p50 ≤ raw + 50 µs (${ok(pass.l2P50OverRawUs)}: +${targets.l2P50OverRawUs.toFixed(0)} µs) |`,
    `| hit rate, Zipf(1.0) over ${GUILDS.toLocaleString('en')} guilds, L1 10k | L1 ${(hitRate.l1HitRate * 100).toFixed(1)} %, L1+L2 ${(hitRate.l1OrL2HitRate * 100).toFixed(1)} %, DB loads ${(hitRate.dbLoadsPerRequest * 100).toFixed(2)} % of ${hitRate.requests.toLocaleString('en')} gets | |`,
    `| RSS with 100,000 configs in GuildConfigCache | ${rss.guildConfigCache.rssMB.toFixed(0)} MB (+${rss.guildConfigCache.rssDeltaMB.toFixed(0)} MB, heap +${rss.guildConfigCache.heapDeltaMB.toFixed(0)} MB) | raw lru-cache, same objects: +${rss.lru.rssDeltaMB.toFixed(0)} MB (heap +${rss.lru.heapDeltaMB.toFixed(0)} MB) |`,
  ];
  const markdown = `## Cache: GuildConfigCache vs raw lru-cache, ioredis and bentocache (\`npm run bench:cache\`)\n\n${lines.join('\n')}`;
  console.log(markdown);
  const results = {
    machine: machine(),
    rounds: ROUNDS,
    opsPerSec: ops,
    latency,
    hitRate,
    rss,
    targets,
    pass,
  };
  writeReport('cache', results, markdown);
}

if (process.argv[2] === '--rss-child') await rssChild(process.argv[3] as 'lru' | 'GuildConfigCache');
else await main();
