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
 * rate to confirm it; a workload stops at its first confirmed failure. The capacity is the highest
 * rate whose step (or retry) passed.
 */
export async function runLadders(
  workloads: readonly Workload[],
  rates: readonly number[],
  o: { warmupS: number; stepS: number; drainMs: number; rule?: StepRule; log?: (line: string) => void },
): Promise<LadderResult[]> {
  const ladders: (LadderResult & { stopped: boolean })[] = workloads.map((w) => ({
    label: w.label,
    steps: [],
    capacity: 0,
    stopped: false,
  }));
  for (const rate of rates) {
    for (const [i, w] of workloads.entries()) {
      const ladder = ladders[i]!;
      if (ladder.stopped) continue;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const s = await runStep(w, rate, o);
        s.attempt = attempt;
        ladder.steps.push(s);
        o.log?.(
          `${w.label} ${rate}/s${attempt > 1 ? ' (again)' : ''}: achieved ${s.achieved.toFixed(0)}/s, p50 ${stats.ms(s.latency.p50)} p99 ${stats.ms(s.latency.p99)}, errors ${s.errors}, lost ${s.lost}, foreign ${s.foreign}, lag p99 ${stats.ms(s.lagP99)} → ${s.pass ? 'pass' : 'FAIL'} (load ${s.loadAfter.join(' ')})`,
        );
        if (s.pass) {
          ladder.capacity = rate;
          break;
        }
        if (attempt === 2) ladder.stopped = true;
      }
    }
    if (ladders.every((l) => l.stopped)) break;
  }
  return ladders.map(({ stopped: _stopped, ...l }) => l);
}
