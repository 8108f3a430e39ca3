/**
 * bench:e2e — one config change end to end, sequentially: `PATCH /api/panel/guilds/:id` of the
 * guild's prefix, timed from sending the HTTP request to
 *   (a) a panel socket (socket.io-client, this process) receiving `config:updated` with that version,
 *   (b) the bot process holding the new version: its debug line `Config of guild X reloaded (version N)`
 *       (GuildConfigCache 'updated'), stamped when it arrives on the bot's stdout pipe in this process
 *       (so it includes pino's write and the pipe: tens of µs),
 * beside the raw floor (./floor.ts) measured in the same run, in interleaved blocks.
 *
 *   npm run bench:e2e            (from the root; or -w bench)
 *   N=2000 WARMUP=200 ROUNDS=3 BLOCK=50 GUILDS=50 BENCH_APPS=dist|src BENCH_CPU_PROF=api,bot
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379
 *
 * Starts and stops everything itself (see ./system.ts). Writes bench/results/e2e.json, the
 * `bench:e2e` section of docs/benchmarks.md and docs/img/bench-e2e-latency.svg.
 */
import { performance } from 'node:perf_hooks';
import * as stats from '@wolaro/test-harness/report';
import type { Socket } from 'socket.io-client';
import { Client } from 'undici';
import { Arrivals } from './arrivals.js';
import { type FloorCpu, type FloorSample, RawFloor } from './floor.js';
import { connectPanel } from './panel_socket.js';
import * as run from './run_report.js';
import { cdfSvg } from './svg.js';
import { type BenchSystem, type CpuSample, cpuDelta, REDIS_URL, startSystem } from './system.js';

const N = Number(process.env['N'] ?? 2000);
const WARMUP = Number(process.env['WARMUP'] ?? 200);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const BLOCK = Number(process.env['BLOCK'] ?? 50);
const TIMEOUT_MS = Number(process.env['TIMEOUT_MS'] ?? 5000);
/**
 * Guilds besides the measured one, each held in the bot's L1 as a real bot's are. (With one guild,
 * every reload would empty the L1, and an LRU that empties clears all its slots: a cost a bot in
 * many guilds never pays.)
 */
const GUILDS = Number(process.env['GUILDS'] ?? 50);
const CPU_PROF = (process.env['BENCH_CPU_PROF'] ?? '')
  .split(',')
  .filter((s): s is 'api' | 'bot' => s === 'api' || s === 'bot');

const TARGET = { socketP50: 2, socketP99: 10, floorRatio: 3, apiCpuRatio: 3, botCpuRatio: 1.5 };
/** Runs are comparable when these match. */
const CONFIG_KEY = `n=${N} warmup=${WARMUP} rounds=${ROUNDS} block=${BLOCK} floor=processes guilds=${GUILDS}`;

/** One run in the `history` of bench/results/e2e.json. */
interface E2EHistoryEntry extends run.RunStamp {
  socketP50: number;
  socketP99: number;
  botP50: number;
  botP99: number;
  floorP50: number;
  ratio: number;
}

/** One system sample, ms from sending the request. */
interface SystemSample {
  http: number;
  socket: number;
  botReceived: number;
  bot: number;
}

interface RoundResult extends run.LoadedRound {
  system: { http: stats.Summary; socket: stats.Summary; botReceived: stats.Summary; bot: stats.Summary };
  floor: { http: stats.Summary; socket: stats.Summary; reload: stats.Summary };
  timeouts: number;
  errors: number;
  /** CPU ms per update of each part of the system (Linux /proc); bench is the client's. */
  cpuPerUpdateMs: CpuSample;
  /** CPU ms per floor change of each part of the floor (Linux /proc). */
  floorCpuPerUpdateMs: FloorCpu;
  durationS: number;
}

class E2E {
  readonly sockets = new Arrivals<number>();
  readonly botReceived = new Arrivals<number>();
  readonly botHolds = new Arrivals<number>();
  #seq = 0;
  timeouts = 0;
  errors = 0;

  constructor(
    readonly sys: BenchSystem,
    readonly guildId: string,
    readonly token: string,
    readonly http: Client,
  ) {}

  /** One PATCH, waited for on the socket and in the bot. Undefined on error or timeout. */
  async once(): Promise<SystemSample | undefined> {
    const prefix = `b${(this.#seq++ % 10_000).toString()}`;
    const body = JSON.stringify({ settings: { prefix } });
    const t0 = performance.now();
    let version: number;
    let tHttp: number;
    try {
      const res = await this.http.request({
        path: `/api/panel/guilds/${this.guildId}`,
        method: 'PATCH',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      const json = (await res.body.json()) as { version?: number };
      tHttp = performance.now();
      if (res.statusCode !== 200 || typeof json.version !== 'number') {
        this.errors++;
        if (this.errors <= 3) console.error(`PATCH → ${res.statusCode} ${JSON.stringify(json)}`);
        return undefined;
      }
      version = json.version;
    } catch (err) {
      this.errors++;
      if (this.errors <= 3) console.error(`PATCH failed: ${(err as Error).message}`);
      return undefined;
    }
    const [socket, received, bot] = await Promise.all([
      this.sockets.wait(version, TIMEOUT_MS),
      this.botReceived.wait(version, TIMEOUT_MS),
      this.botHolds.wait(version, TIMEOUT_MS),
    ]);
    if (socket === undefined || bot === undefined || received === undefined) {
      this.timeouts++;
      if (this.timeouts <= 3) {
        console.error(
          `version ${version}: socket ${socket === undefined ? 'missing' : 'ok'}, bot event ${received === undefined ? 'missing' : 'ok'}, bot reload ${bot === undefined ? 'missing' : 'ok'}\n${this.sys.bot.logs.tail(10)}`,
        );
      }
      return undefined;
    }
    return { http: tHttp - t0, socket: socket - t0, botReceived: received - t0, bot: bot - t0 };
  }
}

function parseBotLine(text: string): { guildId: string; version: number } | undefined {
  try {
    const fields = JSON.parse(text) as { guildId?: unknown; version?: unknown };
    if (typeof fields.guildId === 'string' && typeof fields.version === 'number') {
      return { guildId: fields.guildId, version: fields.version };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** The four pooled sample sets behind the CDF chart. */
interface Pooled {
  socket: number[];
  bot: number[];
  floorSocket: number[];
  floorReload: number[];
}

/** Records panel-socket arrivals and bot log lines of `guildId` into `bench`. */
function observeArrivals(sys: BenchSystem, bench: E2E, socket: Socket, guildId: string): void {
  socket.on('config:updated', (e: { guildId: string; version?: number }) => {
    if (e.guildId === guildId && typeof e.version === 'number') bench.sockets.record(e.version);
  });
  sys.bot.logs.onLine((line) => {
    const reloaded = line.text.includes('reloaded (version');
    if (!reloaded && !line.text.includes('Config update received')) return;
    const parsed = parseBotLine(line.text);
    if (!parsed || parsed.guildId !== guildId) return;
    (reloaded ? bench.botHolds : bench.botReceived).record(parsed.version, line.at);
  });
}

/** Warm-up: both paths, not recorded. */
async function warmUp(bench: E2E, floor: RawFloor): Promise<void> {
  for (let i = 0; i < WARMUP; i++) {
    await bench.once();
    await floor
      .once(TIMEOUT_MS)
      .catch((err: unknown) => console.error(`floor warm-up: ${(err as Error).message}`));
  }
  bench.timeouts = 0;
  bench.errors = 0;
  console.log(`warm-up done (${WARMUP} + ${WARMUP}); ${ROUNDS} rounds of ${N} PATCHes + ${N} floor changes`);
}

/** N system changes and N floor changes, in interleaved blocks so machine noise hits both paths alike. */
async function sampleInBlocks(
  bench: E2E,
  floor: RawFloor,
): Promise<{ samples: SystemSample[]; floorSamples: FloorSample[]; floorTimeouts: number }> {
  const samples: SystemSample[] = [];
  const floorSamples: FloorSample[] = [];
  let floorTimeouts = 0;
  for (let done = 0; done < N; done += BLOCK) {
    const size = Math.min(BLOCK, N - done);
    for (let i = 0; i < size; i++) {
      const s = await bench.once();
      if (s) samples.push(s);
    }
    for (let i = 0; i < size; i++) {
      const s = await floor.once(TIMEOUT_MS).catch((err: unknown) => {
        if (floorTimeouts < 3) console.error(`floor: ${(err as Error).message}`);
        return undefined;
      });
      if (s) floorSamples.push(s);
      else floorTimeouts++;
    }
  }
  return { samples, floorSamples, floorTimeouts };
}

/** One measured round; its samples are appended to `pooled`. */
async function runRound(sys: BenchSystem, bench: E2E, floor: RawFloor, pooled: Pooled): Promise<RoundResult> {
  const loadBefore = stats.loadAverage();
  const cpu0 = await sys.cpu.sample();
  const floorCpu0 = await floor.cpu();
  const t0 = performance.now();
  const timeouts0 = bench.timeouts;
  const errors0 = bench.errors;
  const { samples, floorSamples, floorTimeouts } = await sampleInBlocks(bench, floor);
  const durationS = (performance.now() - t0) / 1000;
  const cpu1 = await sys.cpu.sample();
  const floorCpu1 = await floor.cpu();
  pooled.socket.push(...samples.map((s) => s.socket));
  pooled.bot.push(...samples.map((s) => s.bot));
  pooled.floorSocket.push(...floorSamples.map((s) => s.socket));
  pooled.floorReload.push(...floorSamples.map((s) => s.reload));
  return {
    loadBefore,
    loadAfter: stats.loadAverage(),
    system: {
      http: stats.summarize(samples.map((s) => s.http)),
      socket: stats.summarize(samples.map((s) => s.socket)),
      botReceived: stats.summarize(samples.map((s) => s.botReceived)),
      bot: stats.summarize(samples.map((s) => s.bot)),
    },
    floor: {
      http: stats.summarize(floorSamples.map((s) => s.http)),
      socket: stats.summarize(floorSamples.map((s) => s.socket)),
      reload: stats.summarize(floorSamples.map((s) => s.reload)),
    },
    timeouts: bench.timeouts - timeouts0,
    errors: bench.errors - errors0 + floorTimeouts,
    cpuPerUpdateMs: cpuDelta(cpu0, cpu1, samples.length),
    floorCpuPerUpdateMs: cpuDelta(floorCpu0, floorCpu1, floorSamples.length),
    durationS: stats.round(durationS, 1),
  };
}

function logRound(r: number, result: RoundResult): void {
  console.log(
    `round ${r + 1}/${ROUNDS}: socket p50 ${stats.ms(result.system.socket.p50)} p99 ${stats.ms(result.system.socket.p99)} | bot p50 ${stats.ms(result.system.bot.p50)} p99 ${stats.ms(result.system.bot.p99)} | floor socket p50 ${stats.ms(result.floor.socket.p50)} p99 ${stats.ms(result.floor.socket.p99)} | timeouts ${result.timeouts} errors ${result.errors} | load ${result.loadAfter.join(' ')}`,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = stats.loadAverage();
  console.log(`bench:e2e — starting Postgres schema, Redis prefix, emulator, panel API and bot …`);
  const sys = await startSystem({ label: 'e2e', cpuProf: CPU_PROF, guilds: GUILDS });
  let floor: RawFloor | undefined;
  let socket: Socket | undefined;
  let http: Client | undefined;
  try {
    console.log(
      `apps: ${sys.runtime === 'dist' ? 'node dist/main.js (built)' : 'node --import tsx src/main.ts'}`,
    );
    const guild = sys.guilds[0]!;
    const token = await sys.tokenFor(guild.ownerId);
    http = new Client(sys.apiUrl, { pipelining: 1, keepAliveTimeout: 60_000 });
    const bench = new E2E(sys, guild.guildId, token, http);
    socket = await connectPanel(sys.apiUrl, token, guild.guildId);
    observeArrivals(sys, bench, socket, guild.guildId);
    await sys.warmBotCaches();
    floor = await RawFloor.start({
      connectionString: sys.connectionString,
      redisUrl: REDIS_URL,
      keyPrefix: sys.keyPrefix,
      guildId: guild.guildId,
      pool: sys.pool,
    });
    await warmUp(bench, floor);

    const rounds: RoundResult[] = [];
    const pooled: Pooled = { socket: [], bot: [], floorSocket: [], floorReload: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const result = await runRound(sys, bench, floor, pooled);
      rounds.push(result);
      logRound(r, result);
    }

    report(sys, rounds, pooled, loadAtStart, (performance.now() - started) / 1000);
  } finally {
    socket?.close();
    await http?.close().catch(() => {});
    await floor?.stop();
    await sys.stop();
  }
}

/** Medians over the rounds, ratios to the floor (per round, then the median), totals and CPU. */
function summarizeRounds(rounds: readonly RoundResult[]) {
  const med = {
    http: stats.medianSummary(rounds.map((r) => r.system.http)),
    socket: stats.medianSummary(rounds.map((r) => r.system.socket)),
    botReceived: stats.medianSummary(rounds.map((r) => r.system.botReceived)),
    bot: stats.medianSummary(rounds.map((r) => r.system.bot)),
    floorHttp: stats.medianSummary(rounds.map((r) => r.floor.http)),
    floorSocket: stats.medianSummary(rounds.map((r) => r.floor.socket)),
    floorReload: stats.medianSummary(rounds.map((r) => r.floor.reload)),
  };
  // Ratio per round (same run, same noise), then the median.
  const ratios = {
    socketP50: stats.median(rounds.map((r) => r.system.socket.p50 / r.floor.socket.p50)),
    botP50: stats.median(rounds.map((r) => r.system.bot.p50 / r.floor.reload.p50)),
    socketP99: stats.median(rounds.map((r) => r.system.socket.p99 / r.floor.socket.p99)),
    botP99: stats.median(rounds.map((r) => r.system.bot.p99 / r.floor.reload.p99)),
  };
  const cpuOf = (k: keyof CpuSample) => stats.round(stats.median(rounds.map((r) => r.cpuPerUpdateMs[k])), 3);
  const floorCpuOf = (k: keyof FloorCpu) =>
    stats.round(stats.median(rounds.map((r) => r.floorCpuPerUpdateMs[k])), 3);
  const cpu = {
    api: cpuOf('api'),
    bot: cpuOf('bot'),
    pgApi: cpuOf('pgApi'),
    pgBot: cpuOf('pgBot'),
    redisShared: cpuOf('redis'),
    floorServer: floorCpuOf('server'),
    floorPgServer: floorCpuOf('pgServer'),
    floorReload: floorCpuOf('reload'),
    floorPgReload: floorCpuOf('pgReload'),
  };
  // Per round (same run, same noise), then the median: (API + its Postgres) / (floor server + its
  // Postgres), and (bot + its Postgres) / (floor reloader + its Postgres).
  const cpuRatios = {
    api: stats.median(
      rounds.map(
        (r) =>
          (r.cpuPerUpdateMs.api + r.cpuPerUpdateMs.pgApi) /
          (r.floorCpuPerUpdateMs.server + r.floorCpuPerUpdateMs.pgServer),
      ),
    ),
    bot: stats.median(
      rounds.map(
        (r) =>
          (r.cpuPerUpdateMs.bot + r.cpuPerUpdateMs.pgBot) /
          (r.floorCpuPerUpdateMs.reload + r.floorCpuPerUpdateMs.pgReload),
      ),
    ),
  };
  return {
    med,
    ratios,
    timeouts: rounds.reduce((a, r) => a + r.timeouts, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    cpu,
    cpuRatios,
  };
}

type RoundsSummary = ReturnType<typeof summarizeRounds>;

/**
 * This run, then the recent runs with the same settings (the machine is shared: targets are
 * judged on the median of the recent runs).
 */
function judgeAcrossRuns(stamp: ReturnType<typeof run.stamp>, s: RoundsSummary) {
  const entry: E2EHistoryEntry = {
    ...stamp,
    socketP50: stats.round(s.med.socket.p50),
    socketP99: stats.round(s.med.socket.p99),
    botP50: stats.round(s.med.bot.p50),
    botP99: stats.round(s.med.bot.p99),
    floorP50: stats.round(s.med.floorSocket.p50),
    ratio: stats.round(s.ratios.socketP50),
  };
  const runs = stats.history('e2e', entry);
  const acrossRuns = stats.mediansOf(runs, [
    'socketP50',
    'socketP99',
    'botP50',
    'botP99',
    'floorP50',
    'ratio',
  ]);
  const targetOf = (target: number, measured: number) => ({
    target,
    measured: stats.round(measured),
    met: measured <= target,
  });
  const targets = {
    socketP50: targetOf(TARGET.socketP50, acrossRuns.socketP50),
    socketP99: targetOf(TARGET.socketP99, acrossRuns.socketP99),
    floorRatio: targetOf(TARGET.floorRatio, acrossRuns.ratio),
  };
  return { entry, runs, acrossRuns, targets };
}

type Judgement = ReturnType<typeof judgeAcrossRuns>;

function verdict(value: number, limit: number, unit: string): string {
  return value <= limit
    ? `✅ met (${(((limit - value) / limit) * 100).toFixed(0)} % under)`
    : `❌ missed by ${(value - limit).toFixed(2)}${unit} (${(value / limit).toFixed(2)}× the target)`;
}

function latencyRow(label: string, s: stats.Summary, ratio?: string): string {
  return `| ${label} | ${stats.ms(s.p50)} | ${stats.ms(s.p95)} | ${stats.ms(s.p99)} | ${stats.ms(s.max)} | ${ratio ?? ''} |`;
}

/** The latency table of this run: system paths beside the raw floor. */
function latencyTable(s: RoundsSummary): string[] {
  const { med, ratios } = s;
  return [
    '| path | p50 | p95 | p99 | max | p50 vs raw floor |',
    '|---|---:|---:|---:|---:|---:|',
    latencyRow(
      '**system → panel socket** (`config:updated` with that version)',
      med.socket,
      `**${ratios.socketP50.toFixed(2)}×**`,
    ),
    latencyRow(
      '**system → bot holds the version** (debug line on its stdout pipe)',
      med.bot,
      `${ratios.botP50.toFixed(2)}× (vs floor reload)`,
    ),
    latencyRow('system → bot received the event (`Config update received`)', med.botReceived),
    latencyRow('system → HTTP 200', med.http),
    latencyRow(
      'raw floor → socket.io-client (`UPDATE`; `PUBLISH`; subscriber; `io.to(room).emit`)',
      med.floorSocket,
      '1×',
    ),
    latencyRow(
      "raw floor → reload done (`UPDATE`; `PUBLISH`; subscriber; the bot's reload `SELECT`)",
      med.floorReload,
      '1×',
    ),
    latencyRow('raw floor → HTTP 200 (`UPDATE`; `PUBLISH`)', med.floorHttp),
  ];
}

/** The recent runs with these settings and the targets judged on their median. */
function runsAndTargetsTables(j: Judgement): string[] {
  const { entry, runs, acrossRuns } = j;
  return [
    `Recent runs of this code (\`${entry.code}\`) with these settings (this one last); the targets are judged on their median:`,
    '',
    '| run | load (1 min) | socket p50 / p99 | bot p50 / p99 | floor → socket p50 | p50 vs floor |',
    '|---|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.date.slice(0, 16).replace('T', ' ')} (${r.apps}) | ${r.load1.toFixed(1)} | ${stats.ms(r.socketP50)} / ${stats.ms(r.socketP99)} | ${stats.ms(r.botP50)} / ${stats.ms(r.botP99)} | ${stats.ms(r.floorP50)} | ${r.ratio.toFixed(2)}× |`,
    ),
    `| **median of ${runs.length} runs** | | **${stats.ms(acrossRuns.socketP50)} / ${stats.ms(acrossRuns.socketP99)}** | ${stats.ms(acrossRuns.botP50)} / ${stats.ms(acrossRuns.botP99)} | ${stats.ms(acrossRuns.floorP50)} | **${acrossRuns.ratio.toFixed(2)}×** |`,
    '',
    '| target (2-core machine, loopback) | median of runs | |',
    '|---|---:|---|',
    `| p50 ≤ ${TARGET.socketP50} ms to the panel socket | ${stats.ms(acrossRuns.socketP50)} | ${verdict(acrossRuns.socketP50, TARGET.socketP50, ' ms')} |`,
    `| p99 ≤ ${TARGET.socketP99} ms to the panel socket | ${stats.ms(acrossRuns.socketP99)} | ${verdict(acrossRuns.socketP99, TARGET.socketP99, ' ms')} |`,
    `| p50 ≤ ${TARGET.floorRatio} × the raw floor (same run) | ${acrossRuns.ratio.toFixed(2)}× | ${verdict(acrossRuns.ratio, TARGET.floorRatio, '×')} |`,
  ];
}

/**
 * CPU per update of each part (median of rounds, from /proc) beside the floor's, each measured as
 * its own process, and the ratios judged against the targets (this run).
 */
function cpuTable(s: RoundsSummary): string[] {
  const { cpu, cpuRatios, ratios } = s;
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  return [
    '| CPU per update (median of rounds) | process | its Postgres backends | total | vs the floor | target |',
    '|---|---:|---:|---:|---:|---|',
    `| panel API | ${ms(cpu.api)} | ${ms(cpu.pgApi)} | ${ms(cpu.api + cpu.pgApi)} | **${cpuRatios.api.toFixed(2)}×** | ≤ ${TARGET.apiCpuRatio}× ${cpuRatios.api <= TARGET.apiCpuRatio ? '✅' : '❌'} |`,
    `| raw floor server (HTTP, \`UPDATE\`, \`PUBLISH\`, subscriber, emit) | ${ms(cpu.floorServer)} | ${ms(cpu.floorPgServer)} | ${ms(cpu.floorServer + cpu.floorPgServer)} | 1× | |`,
    `| bot | ${ms(cpu.bot)} | ${ms(cpu.pgBot)} | ${ms(cpu.bot + cpu.pgBot)} | **${cpuRatios.bot.toFixed(2)}×** | ≤ ${TARGET.botCpuRatio}× ${cpuRatios.bot <= TARGET.botCpuRatio ? '✅' : '❌'} |`,
    `| raw floor reloader (subscriber, reload \`SELECT\`) | ${ms(cpu.floorReload)} | ${ms(cpu.floorPgReload)} | ${ms(cpu.floorReload + cpu.floorPgReload)} | 1× | |`,
    '',
    `Socket p99 vs the floor's p99 (median of rounds): **${ratios.socketP99.toFixed(2)}×**, target ≤ ${TARGET.floorRatio}× ${ratios.socketP99 <= TARGET.floorRatio ? '✅' : '❌'}. The Redis server is shared by both paths: ${ms(cpu.redisShared)} per update of either.`,
  ];
}

/** The `bench:e2e` section of docs/benchmarks.md. */
function markdownSection(
  m: stats.MachineInfo,
  sys: BenchSystem,
  rounds: readonly RoundResult[],
  loadAtStart: [number, number, number],
  s: RoundsSummary,
  j: Judgement,
): string {
  const lines = [
    '## End to end: PATCH → panel socket and bot (`npm run bench:e2e`)',
    '',
    run.setupLine(m, sys, rounds, loadAtStart),
    '',
    `${rounds.length} rounds × ${N.toLocaleString('en')} sequential \`PATCH /api/panel/guilds/:id {"settings":{"prefix":…}}\` (after ${WARMUP} warm-up), each timed from sending the request; the raw floor runs the same number of changes in the same rounds, in interleaved blocks of ${BLOCK}.`,
    '',
    ...latencyTable(s),
    '',
    ...runsAndTargetsTables(j),
    '',
    `p99 vs the floor's p99: socket ${s.ratios.socketP99.toFixed(2)}×, bot ${s.ratios.botP99.toFixed(2)}×. Timeouts (> ${TIMEOUT_MS} ms): ${s.timeouts}, errors: ${s.errors}.`,
    '',
    ...cpuTable(s),
    '',
    '| round | socket p50 / p99 | bot p50 / p99 | floor socket p50 / p99 | load (1 min) |',
    '|---:|---:|---:|---:|---:|',
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${stats.ms(r.system.socket.p50)} / ${stats.ms(r.system.socket.p99)} | ${stats.ms(r.system.bot.p50)} / ${stats.ms(r.system.bot.p99)} | ${stats.ms(r.floor.socket.p50)} / ${stats.ms(r.floor.socket.p99)} | ${r.loadAfter[0].toFixed(1)} |`,
    ),
    '',
    `![Latency CDF: system vs raw floor](img/bench-e2e-latency.svg)`,
    '',
    "How it is measured: one socket.io-client (websocket transport) with an owner's token, in the bench process, records `performance.now()` when `config:updated` arrives; the bot runs with `LOG_LEVEL=debug` and its `Config of guild … reloaded (version N)` line (GuildConfigCache `updated`) is stamped when its chunk arrives on the stdout pipe in the bench process, which adds pino's write and the pipe (tens of µs). The bot holds the guild and " +
      String(GUILDS) +
      " others in its L1 (a message in each before the run), as a bot in many guilds does, so every change makes it reload. The floor runs in two processes of its own (`bench/src/floor_server.ts`), like the panel API and the bot: a server that answers the same `PATCH` with a single-statement durable `UPDATE` of a copy of `guilds` and a `PUBLISH` of the same payload, and whose raw ioredis subscriber emits to a raw socket.io room; and a reloader, a raw subscriber that runs the bot's reload query and prints a line, stamped on the pipe as the bot's is. Their CPU, and their Postgres backends', is read from /proc like the system's. The system additionally does the JWT check and one durable statement that checks the session and the caller's rights on the guild (its precondition) and also writes the revision and the claimed outbox row; after COMMIT it stores the new config in the bots' L2 (one Redis compare-and-set) before the `PUBLISH`, so the bot's reload is the answer to its tombstone (one Redis command, no query) where the floor's reloader runs its query; after the publish it marks the row published, in one statement shared with the marks of the writes of the next 20 ms.",
  ];
  return lines.join('\n');
}

function latencyChart(m: stats.MachineInfo, rounds: readonly RoundResult[], pooled: Pooled): string {
  return cdfSvg({
    title: 'bench:e2e — PATCH → delivered, CDF (log scale)',
    subtitle: `${N.toLocaleString('en')} × ${rounds.length} sequential changes per path; ${stats.machineLine(m)}`,
    series: [
      { label: 'system → panel socket', color: '#1f6feb', values: pooled.socket },
      { label: 'system → bot holds version', color: '#8250df', values: pooled.bot },
      { label: 'raw floor → socket', color: '#1a7f37', values: pooled.floorSocket, dashed: true },
      { label: 'raw floor → reload', color: '#bf8700', values: pooled.floorReload, dashed: true },
    ],
    markers: [
      { label: 'p50 target 2 ms', x: TARGET.socketP50 },
      { label: 'p99 target 10 ms', x: TARGET.socketP99 },
      { label: 'note: 55 ms', x: 55, color: '#888' },
    ],
  });
}

function report(
  sys: BenchSystem,
  rounds: readonly RoundResult[],
  pooled: Pooled,
  loadAtStart: [number, number, number],
  totalS: number,
): void {
  const m = stats.machine();
  const s = summarizeRounds(rounds);
  const j = judgeAcrossRuns(run.stamp(CONFIG_KEY, m, sys, rounds), s);
  const svgPath = 'docs/img/bench-e2e-latency.svg';
  run.publish('e2e', {
    markdown: markdownSection(m, sys, rounds, loadAtStart, s, j),
    chartPath: svgPath,
    chart: latencyChart(m, rounds, pooled),
    results: {
      machine: m,
      apps: sys.runtime,
      config: { n: N, warmup: WARMUP, rounds: ROUNDS, block: BLOCK, timeoutMs: TIMEOUT_MS },
      loadAverage: run.loadAverages(loadAtStart, rounds),
      medians: s.med,
      ratios: s.ratios,
      targets: j.targets,
      history: j.runs,
      cpuPerUpdateMs: s.cpu,
      timeouts: s.timeouts,
      errors: s.errors,
      histograms: {
        socket: stats.histogram(pooled.socket),
        bot: stats.histogram(pooled.bot),
        floorSocket: stats.histogram(pooled.floorSocket),
        floorReload: stats.histogram(pooled.floorReload),
      },
      rounds,
      chart: svgPath,
      totalSeconds: stats.round(totalS, 1),
    },
  });
}

run.main(main);
