/**
 * From the writes, the consumers and the cost samples of a scale run to its numbers: latency,
 * exactly-once delivery, lost writes, recovery after the Redis kill, and the per-unit costs.
 */
import * as stats from '@wolaro/test-harness/report';
import type { WriteRecord } from '../chaos/writes.js';
import { type Consumers, heldAt } from './consumers.js';
import type { CostSample } from './probe.js';

/** Delivery of a set of acknowledged writes to their consumers. */
export interface Delivery {
  writes: number;
  /** PATCH sent → the socket got that version. */
  socket: stats.Summary;
  /** PATCH sent → the bot shard reloaded that version (or a later one). */
  bot: stats.Summary;
  /**
   * (socket, write) pairs whose event came exactly once / more than once / never, the socket
   * holding that version or a later one anyway (a later event, or a load after `guild:reload`).
   */
  once: number;
  duplicates: number;
  skipped: number;
  /** Acknowledged writes that some consumer never caught up with (nothing ≥ that version). */
  lost: number;
  lostBot: number;
  /** The first lost writes: guild, version, API node that answered, which consumer stayed behind. */
  lostExamples: string[];
}

/** How the writes of a set were answered. */
export interface Answers {
  sent: number;
  ok: number;
  non2xx: number;
  timeouts: number;
  network: number;
}

export function answers(records: readonly WriteRecord[]): Answers {
  const out = { sent: records.length, ok: 0, non2xx: 0, timeouts: 0, network: 0 };
  for (const r of records) {
    if (r.version !== undefined) out.ok++;
    else if (r.outcome.kind === 'status') out.non2xx++;
    else if (r.outcome.kind === 'timeout') out.timeouts++;
    else out.network++;
  }
  return out;
}

export function delivery(c: Consumers, acked: readonly WriteRecord[]): Delivery {
  const socket: number[] = [];
  const bot: number[] = [];
  const out = { once: 0, duplicates: 0, skipped: 0, lost: 0, lostBot: 0, lostExamples: [] as string[] };
  const example = (w: WriteRecord, who: string) => {
    if (out.lostExamples.length < 10) {
      out.lostExamples.push(
        `guild ${c.guilds[w.guild]!.guildId} v${w.version} (answered by node ${w.node + 1}): ${who}`,
      );
    }
  };
  for (const w of acked) {
    const v = w.version!;
    let lost = false;
    for (const p of c.panelsByGuild[w.guild] ?? []) {
      const seen = p.seen.get(v);
      if (seen) {
        socket.push(seen.at - w.sentAt);
        if (seen.count === 1) out.once++;
        else out.duplicates++;
      } else if (p.top >= v) out.skipped++;
      else {
        lost = true;
        example(w, `socket on node ${p.node + 1} holds v${p.top}`);
      }
    }
    const at = c.bot(w.guild).reachedAt(v);
    if (at === undefined) {
      lost = true;
      out.lostBot++;
      example(w, `bot holds v${c.bot(w.guild).version}`);
    } else bot.push(at - w.sentAt);
    if (lost) out.lost++;
  }
  return { writes: acked.length, socket: stats.summarize(socket), bot: stats.summarize(bot), ...out };
}

/**
 * Kill → the moment every consumer (each socket, the bot shard) held the database's version of
 * its guild as of `versions` (read when the cluster was whole again: every write committed until
 * then, acknowledged or not). `NaN` when a consumer never got there.
 */
export function recovery(c: Consumers, versions: readonly number[], killAt: number): number {
  let last = killAt;
  for (let g = 0; g < c.guilds.length; g++) {
    const v = versions[g] ?? 0;
    const times = [
      c.bot(g).version >= v ? (c.bot(g).reachedAt(v) ?? killAt) : undefined,
      ...(c.panelsByGuild[g] ?? []).map((p) => (p.top >= v ? (heldAt(p, v) ?? killAt) : undefined)),
    ];
    for (const t of times) {
      if (t === undefined) return Number.NaN;
      last = Math.max(last, t);
    }
  }
  return last - killAt;
}

/** Cumulative CPU ms of each part of a sample, by name (`api1`, `bot0`, `redisMasters`, ...). */
function cpuParts(x: CostSample, masterIndexes: Set<number>): Record<string, number> {
  const redis = (masters: boolean) =>
    x.redisCpu.reduce((sum, v, i) => (masterIndexes.has(i) === masters ? sum + v : sum), 0);
  return {
    ...Object.fromEntries(x.apiCpu.map((v, i) => [`api${i + 1}`, v])),
    ...Object.fromEntries(x.botCpu.map((v, i) => [`bot${i}`, v])),
    redisMasters: redis(true),
    redisReplicas: redis(false),
    pgApi: x.pgApi,
    pgBot: x.pgBot,
    bench: x.bench,
  };
}

/** Per-unit costs over a window, beside an idle window of the same system (sockets on, no writes). */
export interface UnitCosts {
  updates: number;
  windowMs: number;
  /** CPU ms per update of each part: all its CPU in the window / updates. */
  cpuMsPerUpdate: Record<string, number>;
  /** Cores each part used with no writes (heartbeats, socket pings, timers), from the idle window. */
  idleCores: Record<string, number>;
  /** CPU ms per update above idle: (window CPU − idle rate × window) / updates. */
  marginalCpuMsPerUpdate: Record<string, number>;
  /** Redis commands per update on the masters (this bench's INFO calls left out), by command. */
  redisCallsPerUpdate: { total: number; aboveIdle: number; replicas: number; byCommand: [string, number][] };
}

function callsDelta(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of b) {
    if (k === 'info') continue;
    const d = v - (a.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);

export function unitCosts(
  window: { a: CostSample; b: CostSample },
  idle: { a: CostSample; b: CostSample },
  updates: number,
  masterIndexes: Set<number>,
): UnitCosts {
  const per = (d: number) => stats.round(d / Math.max(1, updates), 3);
  const windowMs = window.b.at - window.a.at;
  const idleMs = Math.max(1, idle.b.at - idle.a.at);
  const [wa, wb, ia, ib] = [window.a, window.b, idle.a, idle.b].map((x) => cpuParts(x, masterIndexes)) as [
    Record<string, number>,
    Record<string, number>,
    Record<string, number>,
    Record<string, number>,
  ];
  const names = Object.keys(wb);
  const map = (f: (k: string) => number) => Object.fromEntries(names.map((k) => [k, f(k)]));
  const calls = callsDelta(window.a.masterCalls, window.b.masterCalls);
  const idleCalls = total(callsDelta(idle.a.masterCalls, idle.b.masterCalls));
  return {
    updates,
    windowMs: stats.round(windowMs, 0),
    cpuMsPerUpdate: map((k) => per(wb[k]! - wa[k]!)),
    idleCores: map((k) => stats.round((ib[k]! - ia[k]!) / idleMs, 3)),
    marginalCpuMsPerUpdate: map((k) => per(wb[k]! - wa[k]! - ((ib[k]! - ia[k]!) / idleMs) * windowMs)),
    redisCallsPerUpdate: {
      total: per(total(calls)),
      aboveIdle: per(total(calls) - (idleCalls / idleMs) * windowMs),
      replicas: per(total(callsDelta(window.a.replicaCalls, window.b.replicaCalls))),
      byCommand: [...calls.entries()]
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]): [string, number] => [k, per(v)]),
    },
  };
}

/** Per second of the run (by send time): PATCHes sent, acknowledged, timed out. */
export function perSecond(records: readonly WriteRecord[], t0: number, seconds: number): number[][] {
  const rows = Array.from({ length: Math.ceil(seconds) }, (_, i) => [i, 0, 0, 0]);
  for (const r of records) {
    const row = rows[Math.floor((r.sentAt - t0) / 1000)];
    if (!row) continue;
    row[1]!++;
    if (r.version !== undefined) row[2]!++;
    else if (r.outcome.kind === 'timeout') row[3]!++;
  }
  return rows;
}
