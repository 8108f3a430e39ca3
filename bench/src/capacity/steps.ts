/**
 * Open-loop steps: a workload offered a fixed rate for a warm-up then a measured window (both on
 * one schedule, chaos/loop.ts's `openLoop`), drained, then judged; rates stepped up until two steps
 * in a row fail. An operation is one write or one command; its latency is from the moment it was
 * sent to the moment the LAST socket of its guild got its event.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as stats from '@wolaro/test-harness/report';
import { openLoop } from '../chaos/loop.js';
import type { RoomSockets } from './rooms.js';

/** One operation sent by a workload. */
export interface OpRecord {
  guild: number;
  /** What its socket event is matched by (see rooms.ts); set at send or on the answer. */
  key: string | undefined;
  sent: number;
  /** When the sender got its answer (HTTP response, or the bot's interaction response). */
  done: number | undefined;
  error: string | undefined;
  /** In the measured window (else warm-up). */
  measured: boolean;
}

/** Something the steps can offer a rate to. */
export interface Workload {
  readonly label: string;
  readonly rooms: RoomSockets;
  /** Starts a step: forgets the previous step's records. */
  begin(): void;
  /** Sends operation `i` of the step. */
  fire(i: number, measured: boolean): void;
  /** The step's records so far. */
  records(): readonly OpRecord[];
  /** Waits (at most `maxMs`) until every operation is answered or given up. */
  settle(maxMs: number): Promise<void>;
}

/** What a step measured. */
export interface StepResult {
  rate: number;
  /** Operations of the measured window (scheduled). */
  offered: number;
  sent: number;
  ok: number;
  /** Answered operations per second, first measured send → last answer or delivery. */
  achieved: number;
  /** Send → the last socket of the guild got the event (operations of guilds with sockets). */
  latency: stats.Summary;
  errors: number;
  /** Answered operations whose event never reached every socket of their guild. */
  lost: number;
  /** Events a socket got for another guild. */
  foreign: number;
  /** Scheduler lag: actual − planned send, p99 (ms). */
  lagP99: number;
  pass: boolean;
  /** 1, or 2 for the run that confirms a failure. */
  attempt: number;
  loadAfter: [number, number, number];
  latencies: number[];
}

/** The pass rule of a step. */
export interface StepRule {
  p99Ms: number;
  /** The achieved rate must be at least this share of the offered one. */
  minAchieved: number;
}

export const DEFAULT_RULE: StepRule = { p99Ms: 50, minAchieved: 0.95 };

/** Waits (bounded) until every answered record has its event on every socket of its guild. */
async function waitDelivered(w: Workload, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  const pending = (): boolean =>
    w
      .records()
      .some(
        (r) =>
          r.measured &&
          r.error === undefined &&
          r.key !== undefined &&
          (w.rooms.byGuild[r.guild]?.length ?? 0) > 0 &&
          w.rooms.lastArrival(r.guild, r.key) === undefined,
      );
  while (pending() && performance.now() < deadline) await sleep(50);
}

/** Judges a drained step. */
export function evaluateStep(w: Workload, rate: number, planned: number[], rule: StepRule): StepResult {
  const measured = w.records().filter((r) => r.measured);
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let lost = 0;
  let firstSent = Number.POSITIVE_INFINITY;
  let lastDone = Number.NEGATIVE_INFINITY;
  for (const r of measured) {
    firstSent = Math.min(firstSent, r.sent);
    if (r.error !== undefined || r.done === undefined || r.key === undefined) {
      errors++;
      continue;
    }
    ok++;
    lastDone = Math.max(lastDone, r.done);
    if ((w.rooms.byGuild[r.guild]?.length ?? 0) === 0) continue;
    const at = w.rooms.lastArrival(r.guild, r.key);
    if (at === undefined) {
      lost++;
      continue;
    }
    lastDone = Math.max(lastDone, at);
    latencies.push(at - r.sent);
  }
  const latency = stats.summarize(latencies);
  const achieved = ok > 0 ? (ok * 1000) / Math.max(1, lastDone - firstSent) : 0;
  const lags = measured.map((r, i) => r.sent - (planned[i] ?? r.sent));
  const foreign = w.rooms.all.reduce((a, s) => a + s.foreign, 0);
  return {
    rate,
    offered: measured.length,
    sent: measured.length,
    ok,
    achieved: stats.round(achieved, 1),
    latency,
    errors,
    lost,
    foreign,
    lagP99: stats.round(stats.summarize(lags).p99, 2),
    pass:
      errors === 0 &&
      lost === 0 &&
      foreign === 0 &&
      latencies.length > 0 &&
      latency.p99 <= rule.p99Ms &&
      achieved >= rule.minAchieved * rate,
    attempt: 1,
    loadAfter: stats.loadAverage(),
    latencies,
  };
}

/** Offers `rate` for `warmupS` + `stepS` seconds, drains (at most `drainMs`), judges the measured window. */
export async function runStep(
  w: Workload,
  rate: number,
  o: { warmupS: number; stepS: number; drainMs: number; rule?: StepRule },
): Promise<StepResult> {
  w.begin();
  w.rooms.clearArrivals();
  const warm = Math.round(rate * o.warmupS);
  const total = warm + Math.round(rate * o.stepS);
  const start = performance.now();
  const planned: number[] = [];
  await new Promise<void>((resolve) => {
    const loop = openLoop(rate, (i) => {
      if (i >= total) {
        loop.stop();
        resolve();
        return;
      }
      if (i >= warm) planned.push(start + (i * 1000) / rate);
      w.fire(i, i >= warm);
    });
  });
  const deadline = performance.now() + o.drainMs;
  await w.settle(o.drainMs);
  await waitDelivered(w, Math.max(0, deadline - performance.now()));
  return evaluateStep(w, rate, planned, o.rule ?? DEFAULT_RULE);
}

/** What a ladder found. */
export interface LadderResult {
  label: string;
  /** Every step run, in order (a failed step and its retry at the same rate both). */
  steps: StepResult[];
  /** The highest passing rate (0 if none passed). */
  capacity: number;
}

/** The step that decided `rate` (the retry when there was one). */
export function decidingStep(l: LadderResult, rate: number): StepResult | undefined {
  return l.steps.findLast((s) => s.rate === rate);
}

/**
 * Steps every workload through `rates` (ascending), interleaved (at each rate, each workload in
 * turn, so machine noise falls on all of them alike). A failed step is run again once at the same
 * rate to confirm it; a workload stops at its first confirmed failure. Then, `refine` times, each
 * workload that stopped is offered the geometric middle of its highest passing rate and the rate
 * that failed (the same confirmation), which narrows the ~1.4× gap between two rungs of the ladder
 * to about 1.09× after two rounds. The capacity is the highest rate whose step (or retry) passed.
 */
export async function runLadders(
  workloads: readonly Workload[],
  rates: readonly number[],
  o: {
    warmupS: number;
    stepS: number;
    drainMs: number;
    rule?: StepRule;
    refine?: number;
    log?: (line: string) => void;
  },
  step: typeof runStep = runStep,
): Promise<LadderResult[]> {
  const ladders: (LadderResult & { failedAt: number | undefined })[] = workloads.map((w) => ({
    label: w.label,
    steps: [],
    capacity: 0,
    failedAt: undefined,
  }));
  /** Runs `rate` (and its confirmation); whether it passed. */
  const attempt = async (i: number, rate: number): Promise<boolean> => {
    const w = workloads[i]!;
    const ladder = ladders[i]!;
    for (let n = 1; n <= 2; n++) {
      const s = await step(w, rate, o);
      s.attempt = n;
      ladder.steps.push(s);
      o.log?.(
        `${w.label} ${rate}/s${n > 1 ? ' (again)' : ''}: achieved ${s.achieved.toFixed(0)}/s, p50 ${stats.ms(s.latency.p50)} p99 ${stats.ms(s.latency.p99)}, errors ${s.errors}, lost ${s.lost}, foreign ${s.foreign}, lag p99 ${stats.ms(s.lagP99)} → ${s.pass ? 'pass' : 'FAIL'} (load ${s.loadAfter.join(' ')})`,
      );
      if (s.pass) {
        ladder.capacity = Math.max(ladder.capacity, rate);
        return true;
      }
    }
    ladder.failedAt = Math.min(ladder.failedAt ?? rate, rate);
    return false;
  };
  for (const rate of rates) {
    for (const i of workloads.keys()) {
      if (ladders[i]!.failedAt === undefined) await attempt(i, rate);
    }
    if (ladders.every((l) => l.failedAt !== undefined)) break;
  }
  for (let round = 0; round < (o.refine ?? 0); round++) {
    for (const [i, ladder] of ladders.entries()) {
      if (ladder.failedAt === undefined || ladder.capacity === 0) continue;
      const middle = Math.round(Math.sqrt(ladder.capacity * ladder.failedAt));
      if (middle > ladder.capacity && middle < ladder.failedAt) await attempt(i, middle);
    }
  }
  return ladders.map(({ failedAt: _failedAt, ...l }) => l);
}
