/**
 * bench:load — open loop: config changes at a fixed rate (default 500 updates/s for 20 s) across
 * 100 guilds, each `PATCH /api/panel/guilds/:id` scheduled on a timer whatever the responses do,
 * with 200 panel sockets connected (two managers per guild: the owner and an ADMINISTRATOR, each
 * with their own session) and the bot running with every guild in its cache.
 *
 * Reports latency from sending a request to each socket of the guild receiving `config:updated`
 * with that version, the achieved rate, errors (non-2xx, timeouts), deliveries that never came, and
 * the final state: after the run, every socket's last received version + settings for its guild,
 * and the bot's last reloaded version, compared with the database (zero lost or stale expected).
 *
 *   npm run bench:load           (from the root; or -w bench)
 *   RATE=500 DURATION_S=20 GUILDS=100 SOCKETS=200 ROUNDS=3 CONNECTIONS=64 WARMUP_S=3 BENCH_APPS=dist|src
 *
 * Writes bench/results/load.json, the `bench:load` section of docs/benchmarks.md and
 * docs/img/bench-load-latency.svg.
 */

import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { prng, waitFor } from '@wolaro/test-harness/node';
import * as stats from '@wolaro/test-harness/report';
import type { Socket } from 'socket.io-client';
import { Pool } from 'undici';
import { connectPanel } from './panel_socket.js';
import { requestFailure } from './request_error.js';
import * as run from './run_report.js';
import { cdfSvg } from './svg.js';
import { type BenchGuild, type BenchSystem, type CpuSample, cpuDelta, startSystem } from './system.js';

/** Settings: an environment variable of the same name overrides each default (e.g. RATE=100). */
const SETTINGS = stats.numbersFromEnv({
  RATE: 500,
  DURATION_S: 20,
  GUILDS: 100,
  SOCKETS: 200,
  ROUNDS: 3,
  CONNECTIONS: 64,
  WARMUP_S: 3,
  TIMEOUT_MS: 5000,
  DRAIN_MS: 15_000,
  SEED: 42,
});
const { RATE, DURATION_S, GUILDS, SOCKETS, ROUNDS, CONNECTIONS, WARMUP_S, TIMEOUT_MS, DRAIN_MS, SEED } =
  SETTINGS;

const TARGET = { p99: 20 };
/** Runs are comparable when these match. */
const CONFIG_KEY = `rate=${RATE} duration=${DURATION_S}s guilds=${GUILDS} sockets=${SOCKETS} rounds=${ROUNDS}`;

/** One run in the `history` of bench/results/load.json. */
interface LoadHistoryEntry extends run.RunStamp {
  p50: number;
  p99: number;
  max: number;
  okRate: number;
  errors: number;
  missing: number;
  lostOrStale: number;
  outboxP50: number;
  outboxP99: number;
}

interface Panel {
  socket: Socket;
  guild: number;
  /** version → arrival time (this round) */
  arrivals: Map<number, number>;
  last: { version: number; settings: unknown } | undefined;
  outOfOrder: number;
}

interface RequestRecord {
  guild: number;
  scheduled: number;
  sent: number;
  done: number;
  status: number;
  version: number | undefined;
  error: 'timeout' | 'http' | 'network' | undefined;
}

interface RoundResult extends run.LoadedRound {
  offered: number;
  sent: number;
  ok: number;
  errors: { non2xx: number; timeouts: number; network: number };
  /** Requests sent per second over the schedule, and 2xx responses per second until the last one. */
  achievedSendRate: number;
  achievedOkRate: number;
  socket: stats.Summary;
  http: stats.Summary;
  schedulerLag: stats.Summary;
  deliveriesExpected: number;
  deliveriesMissing: number;
  outOfOrder: number;
  finalState: { sockets: number; ok: number; stale: number; lost: number };
  botFinal: { guilds: number; ok: number; stale: number };
  /** CPU ms per 2xx update of each part (Linux /proc); redis is the whole shared server. */
  cpuPerUpdateMs: CpuSample;
  /** Cores busy on average during the round, per part. */
  cpuCores: CpuSample;
  /** Outbox rows of the round: transaction start → marked published (database clock). */
  outbox: { rows: number; p50Ms: number; p99Ms: number; maxMs: number; unpublished: number };
  latencies: number[];
}

class LoadRun {
  readonly panels: Panel[] = [];
  readonly panelsByGuild: Panel[][];
  /** Bot: last reloaded version per guild id. */
  readonly botLast = new Map<string, number>();
  #seq = 0;

  constructor(
    readonly sys: BenchSystem,
    readonly guilds: readonly BenchGuild[],
    readonly tokens: readonly string[],
    readonly http: Pool,
  ) {
    this.panelsByGuild = guilds.map(() => []);
    const index = new Map(guilds.map((g, i) => [g.guildId, i]));
    sys.bot.logs.onLine((line) => {
      if (!line.text.includes('reloaded (version')) return;
      try {
        const f = JSON.parse(line.text) as { guildId?: unknown; version?: unknown };
        if (typeof f.guildId !== 'string' || typeof f.version !== 'number' || !index.has(f.guildId)) return;
        if (f.version > (this.botLast.get(f.guildId) ?? -1)) this.botLast.set(f.guildId, f.version);
      } catch {
        // not JSON
      }
    });
  }

  async connectAll(): Promise<void> {
    const batch = 20;
    for (let k = 0; k < SOCKETS; k += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, SOCKETS - k) }, async (_, j) => {
          const s = k + j;
          const guild = s % this.guilds.length;
          const socket = await connectPanel(this.sys.apiUrl, this.tokens[s]!, this.guilds[guild]!.guildId);
          const panel: Panel = { socket, guild, arrivals: new Map(), last: undefined, outOfOrder: 0 };
          const guildId = this.guilds[guild]!.guildId;
          socket.on('config:updated', (e: { guildId: string; version?: number; settings: unknown }) => {
            if (e.guildId !== guildId || typeof e.version !== 'number') return;
            const at = performance.now();
            if (!panel.arrivals.has(e.version)) panel.arrivals.set(e.version, at);
            if (panel.last === undefined || e.version > panel.last.version) {
              panel.last = { version: e.version, settings: e.settings };
            } else {
              panel.outOfOrder++;
            }
          });
          this.panels.push(panel);
          this.panelsByGuild[guild]!.push(panel);
        }),
      );
    }
  }

  /** Fires `count` requests on the open-loop schedule; resolves when every one has settled (bounded). */
  async run(count: number, rate: number, rand: () => number): Promise<RequestRecord[]> {
    const records: RequestRecord[] = [];
    const interval = 1000 / rate;
    const start = performance.now() + 20;
    let next = 0;
    let settled = 0;
    let allSettled: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    const fire = (i: number) => {
      const guild = Math.floor(rand() * this.guilds.length);
      const record: RequestRecord = {
        guild,
        scheduled: start + i * interval,
        sent: performance.now(),
        done: Number.NaN,
        status: 0,
        version: undefined,
        error: undefined,
      };
      records.push(record);
      const body = JSON.stringify({ settings: { prefix: `l${(this.#seq++ % 10_000).toString()}` } });
      const g = this.guilds[guild]!;
      // any manager of the guild: the owner's session
      const token = this.tokens[guild]!;
      this.http
        .request({
          path: `/api/panel/guilds/${g.guildId}`,
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        })
        .then(async (res) => {
          const json = (await res.body.json()) as { version?: number };
          record.done = performance.now();
          record.status = res.statusCode;
          if (res.statusCode >= 200 && res.statusCode < 300 && typeof json.version === 'number') {
            record.version = json.version;
          } else {
            record.error = 'http';
          }
        })
        .catch((err: unknown) => {
          record.done = performance.now();
          record.error = requestFailure(err);
        })
        .finally(() => {
          if (++settled === count) allSettled();
        });
    };
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (next < count && start + next * interval <= now) fire(next++);
        if (next >= count) {
          resolve();
          return;
        }
        setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - now)));
      };
      setTimeout(tick, 0);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, TIMEOUT_MS + DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
    return records;
  }

  /** Waits (bounded) until every socket and the bot hold the database's version of their guild. */
  async settle(): Promise<Map<string, { version: number; settings: unknown }>> {
    const read = async () => {
      const { rows } = await this.sys.pool.query<{ guild_id: string; version: string; settings: unknown }>(
        'SELECT guild_id, version, settings FROM guilds WHERE guild_id = ANY($1::text[])',
        [this.guilds.map((g) => g.guildId)],
      );
      return new Map(rows.map((r) => [r.guild_id, { version: Number(r.version), settings: r.settings }]));
    };
    const db = await read();
    await waitFor(
      () =>
        this.panels.every(
          (p) => (p.last?.version ?? -1) >= (db.get(this.guilds[p.guild]!.guildId)?.version ?? 0),
        ) &&
        this.guilds.every((g) => (this.botLast.get(g.guildId) ?? -1) >= (db.get(g.guildId)?.version ?? 0)),
      {
        timeoutMs: DRAIN_MS,
        intervalMs: 50,
        message: 'every socket and the bot to reach the database versions',
      },
    ).catch(() => undefined);
    return read();
  }

  async close(): Promise<void> {
    for (const p of this.panels) p.socket.close();
  }
}

async function main(): Promise<void> {
  const loadAtStart = stats.loadAverage();
  console.log(
    `bench:load — starting Postgres schema, Redis prefix, emulator with ${GUILDS} guilds, panel API and bot …`,
  );
  const sys = await startSystem({ label: 'load', guilds: GUILDS });
  let run: LoadRun | undefined;
  const http = new Pool(sys.apiUrl, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    console.log(
      `apps: ${sys.runtime === 'dist' ? 'node dist/main.js (built)' : 'node --import tsx src/main.ts'}`,
    );
    const guilds = sys.guilds.slice(1, 1 + GUILDS);
    // Socket s belongs to guild s % GUILDS: the owner for the first GUILDS sockets, then the admin, alternating.
    const tokens: string[] = [];
    for (let s = 0; s < Math.max(SOCKETS, GUILDS); s++) {
      const g = guilds[s % guilds.length]!;
      tokens.push(await sys.tokenFor(Math.floor(s / guilds.length) % 2 === 0 ? g.ownerId : g.adminId));
    }
    run = new LoadRun(sys, guilds, tokens, http);
    await run.connectAll();
    console.log(`${run.panels.length} panel sockets connected over ${guilds.length} guild rooms`);
    await sys.warmBotCaches();
    const rand = prng(SEED);
    if (WARMUP_S > 0) {
      await run.run(Math.round(RATE * WARMUP_S), RATE, rand);
      await run.settle();
      console.log(`warm-up done (${WARMUP_S} s at ${RATE}/s)`);
    }

    const rounds: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of run.panels) {
        p.arrivals.clear();
        p.outOfOrder = 0;
      }
      const loadBefore = stats.loadAverage();
      const { rows: outboxMark } = await sys.pool.query<{ id: string }>(
        'SELECT COALESCE(max(id), 0)::text AS id FROM sync_outbox',
      );
      const cpu0 = await sys.cpu.sample();
      const t0 = performance.now();
      const count = Math.round(RATE * DURATION_S);
      const records = await run.run(count, RATE, rand);
      const cpu1 = await sys.cpu.sample();
      const wallMs = performance.now() - t0;
      const db = await run.settle();
      const result = evaluate(run, records, db, count);
      result.loadBefore = loadBefore;
      result.loadAfter = stats.loadAverage();
      result.cpuPerUpdateMs = cpuDelta(cpu0, cpu1, result.ok);
      result.cpuCores = cpuDelta(cpu0, cpu1, wallMs);
      result.outbox = await outboxDelays(sys, outboxMark[0]?.id ?? '0');
      rounds.push(result);
      console.log(
        `round ${r + 1}/${ROUNDS}: ${result.achievedSendRate.toFixed(0)}/s sent, ${result.achievedOkRate.toFixed(0)}/s ok | socket p50 ${stats.ms(result.socket.p50)} p99 ${stats.ms(result.socket.p99)} max ${stats.ms(result.socket.max)} | errors ${result.errors.non2xx}+${result.errors.timeouts}+${result.errors.network} | missing ${result.deliveriesMissing} | final ok ${result.finalState.ok}/${result.finalState.sockets} stale ${result.finalState.stale} lost ${result.finalState.lost} | bot ${result.botFinal.ok}/${result.botFinal.guilds} | load ${result.loadAfter.join(' ')}`,
      );
    }
    report(sys, rounds, loadAtStart, run.panels.length);
  } finally {
    await run?.close();
    await http.close().catch(() => {});
    await sys.stop();
  }
}

/** Outbox rows after `afterId`: transaction start (`created_at`) → `published_at`, database clock. */
async function outboxDelays(sys: BenchSystem, afterId: string): Promise<RoundResult['outbox']> {
  const { rows } = await sys.pool.query<{
    n: string;
    p50: number | null;
    p99: number | null;
    max: number | null;
    pending: string;
  }>(
    `SELECT count(*)::text AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at)) * 1000 AS p99,
            max(extract(epoch FROM published_at - created_at)) * 1000 AS max,
            count(*) FILTER (WHERE published_at IS NULL)::text AS pending
       FROM sync_outbox WHERE id > $1::bigint AND channel = 'config:update'`,
    [afterId],
  );
  const r = rows[0];
  return {
    rows: Number(r?.n ?? 0),
    p50Ms: stats.round(Number(r?.p50 ?? Number.NaN), 2),
    p99Ms: stats.round(Number(r?.p99 ?? Number.NaN), 2),
    maxMs: stats.round(Number(r?.max ?? Number.NaN), 2),
    unpublished: Number(r?.pending ?? 0),
  };
}

function evaluate(
  run: LoadRun,
  records: readonly RequestRecord[],
  db: Map<string, { version: number; settings: unknown }>,
  offered: number,
): RoundResult {
  const ok = records.filter((r) => r.version !== undefined);
  const latencies: number[] = [];
  let missing = 0;
  let expected = 0;
  for (const r of ok) {
    for (const p of run.panelsByGuild[r.guild] ?? []) {
      expected++;
      const at = p.arrivals.get(r.version!);
      if (at === undefined) missing++;
      else latencies.push(at - r.sent);
    }
  }
  const final = { sockets: run.panels.length, ok: 0, stale: 0, lost: 0 };
  for (const p of run.panels) {
    const truth = db.get(run.guilds[p.guild]!.guildId);
    if (!truth) continue;
    if (p.last === undefined || p.last.version < truth.version) final.stale++;
    else if (p.last.version === truth.version && isDeepStrictEqual(p.last.settings, truth.settings))
      final.ok++;
    else final.lost++; // same version, other settings (or a version the database never had)
  }
  const botFinal = { guilds: run.guilds.length, ok: 0, stale: 0 };
  for (const g of run.guilds) {
    const truth = db.get(g.guildId);
    if ((run.botLast.get(g.guildId) ?? -1) >= (truth?.version ?? 0)) botFinal.ok++;
    else botFinal.stale++;
  }
  const sent = records.map((r) => r.sent);
  const firstSent = Math.min(...sent);
  const lastSent = Math.max(...sent);
  const lastOk = Math.max(...ok.map((r) => r.done));
  return {
    loadBefore: [0, 0, 0],
    loadAfter: [0, 0, 0],
    offered,
    sent: records.length,
    ok: ok.length,
    errors: {
      non2xx: records.filter((r) => r.error === 'http').length,
      timeouts: records.filter((r) => r.error === 'timeout').length + (offered - records.length),
      network: records.filter((r) => r.error === 'network').length,
    },
    achievedSendRate: stats.round(((records.length - 1) * 1000) / Math.max(1, lastSent - firstSent), 1),
    achievedOkRate: stats.round((ok.length * 1000) / Math.max(1, lastOk - firstSent), 1),
    socket: stats.summarize(latencies),
    http: stats.summarize(ok.map((r) => r.done - r.sent)),
    schedulerLag: stats.summarize(records.map((r) => r.sent - r.scheduled)),
    deliveriesExpected: expected,
    deliveriesMissing: missing,
    outOfOrder: run.panels.reduce((a, p) => a + p.outOfOrder, 0),
    finalState: final,
    botFinal,
    cpuPerUpdateMs: { api: 0, bot: 0, pgApi: 0, pgBot: 0, pgBench: 0, redis: 0, bench: 0 },
    cpuCores: { api: 0, bot: 0, pgApi: 0, pgBot: 0, pgBench: 0, redis: 0, bench: 0 },
    outbox: { rows: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN, unpublished: 0 },
    latencies,
  };
}

const CPU_PARTS = ['api', 'pgApi', 'bot', 'pgBot', 'redis', 'bench'] as const;
type CpuPart = (typeof CPU_PARTS)[number];

/** Medians and totals over the rounds. */
function summarizeRounds(rounds: readonly RoundResult[]) {
  const sum = (f: (r: RoundResult) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const errors = {
    non2xx: sum((r) => r.errors.non2xx),
    timeouts: sum((r) => r.errors.timeouts),
    network: sum((r) => r.errors.network),
  };
  const per = (k: keyof CpuSample) => stats.round(stats.median(rounds.map((r) => r.cpuPerUpdateMs[k])), 3);
  const cores = (k: keyof CpuSample) => stats.round(stats.median(rounds.map((r) => r.cpuCores[k])), 2);
  const cpu = {
    perUpdateMs: Object.fromEntries(CPU_PARTS.map((k) => [k, per(k)])) as Record<CpuPart, number>,
    cores: Object.fromEntries(CPU_PARTS.map((k) => [k, cores(k)])) as Record<CpuPart, number>,
  };
  return {
    sum,
    socket: stats.medianSummary(rounds.map((r) => r.socket)),
    http: stats.medianSummary(rounds.map((r) => r.http)),
    lag: stats.medianSummary(rounds.map((r) => r.schedulerLag)),
    errors,
    errorTotal: errors.non2xx + errors.timeouts + errors.network,
    stale: sum((r) => r.finalState.stale),
    lost: sum((r) => r.finalState.lost),
    missing: sum((r) => r.deliveriesMissing),
    botStale: sum((r) => r.botFinal.stale),
    sendRate: stats.median(rounds.map((r) => r.achievedSendRate)),
    okRate: stats.median(rounds.map((r) => r.achievedOkRate)),
    cpu,
    systemCpu: cpu.perUpdateMs.api + cpu.perUpdateMs.pgApi + cpu.perUpdateMs.bot + cpu.perUpdateMs.pgBot,
    outboxP50: stats.median(rounds.map((r) => r.outbox.p50Ms)),
    outboxP99: stats.median(rounds.map((r) => r.outbox.p99Ms)),
  };
}

type RoundsSummary = ReturnType<typeof summarizeRounds>;

/** This run added to the history; the targets judged on the recent runs (p99: median; errors, lost and stale: sum). */
function judgeAcrossRuns(
  m: stats.MachineInfo,
  sys: BenchSystem,
  rounds: readonly RoundResult[],
  s: RoundsSummary,
) {
  const entry: LoadHistoryEntry = {
    ...run.stamp(CONFIG_KEY, m, sys, rounds),
    p50: stats.round(s.socket.p50),
    p99: stats.round(s.socket.p99),
    max: stats.round(s.socket.max),
    okRate: stats.round(s.okRate, 1),
    errors: s.errorTotal,
    missing: s.missing,
    lostOrStale: s.lost + s.stale,
    outboxP50: stats.round(s.outboxP50),
    outboxP99: stats.round(s.outboxP99),
  };
  const runs = stats.history('load', entry);
  const acrossRuns = {
    ...stats.mediansOf(runs, ['p50', 'p99', 'okRate']),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    lostOrStale: runs.reduce((a, r) => a + r.lostOrStale, 0),
  };
  const p99Met = acrossRuns.p99 <= TARGET.p99;
  const targets = {
    p99: { target: TARGET.p99, measured: stats.round(acrossRuns.p99), met: p99Met },
    errors: { target: 0, measured: acrossRuns.errors, met: acrossRuns.errors === 0 },
    lostOrStale: { target: 0, measured: acrossRuns.lostOrStale, met: acrossRuns.lostOrStale === 0 },
  };
  return { entry, runs, acrossRuns, p99Met, targets };
}

type Judgement = ReturnType<typeof judgeAcrossRuns>;

/** The metrics table of this run: medians of the rounds and per-round values. */
function metricsTable(rounds: readonly RoundResult[], s: RoundsSummary): string[] {
  const { socket, http, lag, errors, cpu, sum } = s;
  return [
    '| metric | median of rounds | per round |',
    '|---|---:|---|',
    `| achieved rate: sent / 2xx | ${s.sendRate.toFixed(0)}/s / ${s.okRate.toFixed(0)}/s | ${rounds.map((r) => `${r.achievedSendRate.toFixed(0)}/${r.achievedOkRate.toFixed(0)}`).join(', ')} |`,
    `| **send → every socket of the guild has \`config:updated\`** p50 / p95 / p99 / max | **${stats.ms(socket.p50)} / ${stats.ms(socket.p95)} / ${stats.ms(socket.p99)}** / ${stats.ms(socket.max)} | ${rounds.map((r) => `${stats.ms(r.socket.p50)} / ${stats.ms(r.socket.p99)}`).join(', ')} |`,
    `| send → HTTP 200 p50 / p99 / max | ${stats.ms(http.p50)} / ${stats.ms(http.p99)} / ${stats.ms(http.max)} | ${rounds.map((r) => `${stats.ms(r.http.p50)} / ${stats.ms(r.http.p99)}`).join(', ')} |`,
    `| errors: non-2xx / timeouts (> ${TIMEOUT_MS} ms) / network (all rounds) | ${errors.non2xx} / ${errors.timeouts} / ${errors.network} | |`,
    `| deliveries that never came (of ${rounds[0]?.deliveriesExpected.toLocaleString('en') ?? '?'} per round) | ${s.missing} | ${rounds.map((r) => r.deliveriesMissing).join(', ')} |`,
    `| **final state of every socket vs the database**: ok / stale / lost | ${sum((r) => r.finalState.ok)} / ${s.stale} / ${s.lost} of ${sum((r) => r.finalState.sockets)} | |`,
    `| final version in the bot (\`reloaded (version N)\`) = database: ok / stale | ${sum((r) => r.botFinal.ok)} / ${s.botStale} of ${sum((r) => r.botFinal.guilds)} | |`,
    `| events received out of order by a socket | ${sum((r) => r.outOfOrder)} | |`,
    `| scheduler lag (actual − planned send) p99 / max | ${stats.ms(lag.p99)} / ${stats.ms(lag.max)} | |`,
    `| outbox: transaction start → row marked published (database clock) p50 / p99 | ${stats.ms(s.outboxP50)} / ${stats.ms(s.outboxP99)} | ${rounds.map((r) => `${stats.ms(r.outbox.p50Ms)} / ${stats.ms(r.outbox.p99Ms)}`).join(', ')} |`,
    `| CPU per update (ms): panel API + its Postgres backends / bot + its Postgres backends | ${cpu.perUpdateMs.api.toFixed(2)} + ${cpu.perUpdateMs.pgApi.toFixed(2)} / ${cpu.perUpdateMs.bot.toFixed(2)} + ${cpu.perUpdateMs.pgBot.toFixed(2)} = **${s.systemCpu.toFixed(2)} ms**, i.e. ${((s.systemCpu * RATE) / 1000).toFixed(2)} cores at ${RATE}/s | Redis (whole shared server) ${cpu.perUpdateMs.redis.toFixed(2)} ms, bench client ${cpu.perUpdateMs.bench.toFixed(2)} ms |`,
    `| cores busy during a round: API / its PG / bot / its PG / Redis / bench client | ${CPU_PARTS.map((k) => cpu.cores[k].toFixed(2)).join(' / ')} | |`,
  ];
}

/** The recent runs with these settings and the targets judged on them. */
function runsAndTargetsTables(j: Judgement): string[] {
  const { entry, runs, acrossRuns, p99Met } = j;
  const check = (met: boolean, miss: string) => (met ? '✅ met' : `❌ ${miss}`);
  return [
    `Recent runs of this code (\`${entry.code}\`) with these settings (this one last); the targets are judged on them (p99: median; errors, lost and stale: sum):`,
    '',
    '| run | load (1 min) | 2xx rate | p50 / p99 / max to the sockets | errors | missing deliveries | lost or stale final states | outbox commit → published p50 / p99 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.date.slice(0, 16).replace('T', ' ')} (${r.apps}) | ${r.load1.toFixed(1)} | ${r.okRate.toFixed(0)}/s | ${stats.ms(r.p50)} / ${stats.ms(r.p99)} / ${stats.ms(r.max)} | ${r.errors} | ${r.missing} | ${r.lostOrStale} | ${stats.ms(r.outboxP50)} / ${stats.ms(r.outboxP99)} |`,
    ),
    `| **${runs.length} runs** | | ${acrossRuns.okRate.toFixed(0)}/s | **${stats.ms(acrossRuns.p50)} / ${stats.ms(acrossRuns.p99)}** (medians) | ${acrossRuns.errors} | | ${acrossRuns.lostOrStale} | |`,
    '',
    '| target (2-core machine, loopback) | over the recent runs | |',
    '|---|---:|---|',
    `| p99 ≤ ${TARGET.p99} ms at ${RATE} updates/s | ${stats.ms(acrossRuns.p99)} | ${check(p99Met, `missed by ${(acrossRuns.p99 - TARGET.p99).toFixed(1)} ms (${(acrossRuns.p99 / TARGET.p99).toFixed(1)}× the target)`)} |`,
    `| zero errors | ${acrossRuns.errors} | ${check(acrossRuns.errors === 0, `${acrossRuns.errors} errors`)} |`,
    `| zero lost or stale final states | ${acrossRuns.lostOrStale} | ${check(acrossRuns.lostOrStale === 0, `${acrossRuns.lostOrStale} lost or stale`)} |`,
  ];
}

/** The `bench:load` section of docs/benchmarks.md. */
function markdownSection(
  m: stats.MachineInfo,
  sys: BenchSystem,
  rounds: readonly RoundResult[],
  loadAtStart: [number, number, number],
  sockets: number,
  s: RoundsSummary,
  j: Judgement,
): string {
  const lines = [
    `## Load: open loop at ${RATE} updates/s (\`npm run bench:load\`)`,
    '',
    run.setupLine(m, sys, rounds, loadAtStart),
    '',
    `Each round: ${(RATE * DURATION_S).toLocaleString('en')} \`PATCH\`es scheduled every ${(1000 / RATE).toFixed(1)} ms for ${DURATION_S} s whatever the responses (open loop; undici pool of ${CONNECTIONS} keep-alive connections), each to a random one of ${GUILDS} guilds; ${sockets} panel sockets (socket.io-client, websocket) connected, ${Math.round(sockets / GUILDS)} per guild room (the owner and an ADMINISTRATOR, each with its own session); the bot running with every guild in its cache; ${WARMUP_S} s warm-up first.`,
    '',
    ...metricsTable(rounds, s),
    '',
    ...runsAndTargetsTables(j),
    '',
    `![Load latency CDF per round](img/bench-load-latency.svg)`,
    '',
    "Latency is measured from the moment the request is handed to undici (the scheduler lag above says how late that was against the plan), to the arrival of `config:updated` with the version the response returned, on each socket of that guild. Final state: after the last response, the bench waits (at most 15 s) for sockets and bot to reach the database version, then compares each socket's last received `{version, settings}` with the `guilds` row (lost: same version, different settings; stale: older version).",
  ];
  return lines.join('\n');
}

function latencyChart(m: stats.MachineInfo, rounds: readonly RoundResult[], sockets: number): string {
  const colors = ['#1f6feb', '#d1242f', '#1a7f37', '#bf8700', '#8250df'];
  return cdfSvg({
    title: `bench:load — send → socket at ${RATE} updates/s, CDF per round`,
    subtitle: `${GUILDS} guilds, ${sockets} sockets, ${DURATION_S} s per round; ${stats.machineLine(m)}`,
    series: rounds.map((r, i) => ({
      label: `round ${i + 1} (p99 ${r.socket.p99.toFixed(1)} ms)`,
      color: colors[i % colors.length]!,
      values: r.latencies,
    })),
    markers: [{ label: `p99 target ${TARGET.p99} ms`, x: TARGET.p99 }],
  });
}

function report(
  sys: BenchSystem,
  rounds: readonly RoundResult[],
  loadAtStart: [number, number, number],
  sockets: number,
): void {
  const m = stats.machine();
  const s = summarizeRounds(rounds);
  const j = judgeAcrossRuns(m, sys, rounds, s);
  const svgPath = 'docs/img/bench-load-latency.svg';
  run.publish('load', {
    markdown: markdownSection(m, sys, rounds, loadAtStart, sockets, s, j),
    chartPath: svgPath,
    chart: latencyChart(m, rounds, sockets),
    results: {
      machine: m,
      apps: sys.runtime,
      config: {
        rate: RATE,
        durationS: DURATION_S,
        guilds: GUILDS,
        sockets,
        rounds: ROUNDS,
        connections: CONNECTIONS,
        warmupS: WARMUP_S,
        timeoutMs: TIMEOUT_MS,
        seed: SEED,
      },
      loadAverage: run.loadAverages(loadAtStart, rounds),
      medians: {
        socket: s.socket,
        http: s.http,
        schedulerLag: s.lag,
        achievedSendRate: s.sendRate,
        achievedOkRate: s.okRate,
      },
      totals: {
        errors: s.errors,
        deliveriesMissing: s.missing,
        finalStale: s.stale,
        finalLost: s.lost,
        botStale: s.botStale,
      },
      cpu: s.cpu,
      targets: j.targets,
      history: j.runs,
      rounds: rounds.map(({ latencies, ...rest }) => ({ ...rest, histogram: stats.histogram(latencies) })),
      chart: svgPath,
    },
  });
}

run.main(main);
