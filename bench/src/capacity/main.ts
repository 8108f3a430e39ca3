/**
 * bench:capacity — the highest rate the system sustains, beside the raw floor's, measured alike in
 * the same run: open-loop steps of increasing rate, for config writes (`PATCH
 * /api/panel/guilds/:id`, 200 panel sockets over 100 guilds, as bench:load) and for commands
 * (`/ping` through the Discord emulator to the bot, 200 panel sockets over 20 of 100 guilds, as
 * bench:commands). A step passes with p99 ≤ 50 ms from send to the last socket of the guild having
 * the event, no error, nothing lost and ≥ 95 % of the offered rate achieved; a failed step is run
 * again at the same rate to confirm it, and a workload stops at its first confirmed failure; the
 * capacity is the highest passing rate. The floor
 * (./floor_server.ts: a server process of its own, and a reloader process for the bot's side) is
 * stepped the same way with the same sockets and payloads.
 *
 *   npm run bench:capacity
 *   WARMUP_S=2 STEP_S=10 RATES=100,200,400 PARTS=writes,commands GUILDS=100 PANEL_GUILDS=20
 *   SOCKETS=200 MEMBERS=20 P99_MS=50 DRAIN_MS=10000 CONNECTIONS=64 BENCH_APPS=dist|src
 *
 * Writes bench/results/capacity.json, the `bench:capacity` section of docs/benchmarks.md and
 * docs/img/bench-capacity.svg.
 */
import * as stats from '@wolaro/test-harness/report';
import { Pool } from 'undici';
import * as run from '../run_report.js';
import type { BenchSystem } from '../system.js';
import { publishCapacity } from './report.js';
import { RoomSockets } from './rooms.js';
import { commandDriver, socketPlan, startCommandSystem, startFloor } from './setup.js';
import { type LadderResult, runLadders, type StepRule } from './steps.js';
import { BotCommandWorkload, FloorCommandWorkload, WriteWorkload } from './workloads.js';

export const SETTINGS = stats.numbersFromEnv({
  WARMUP_S: 2,
  STEP_S: 10,
  DRAIN_MS: 10_000,
  GUILDS: 100,
  PANEL_GUILDS: 20,
  SOCKETS: 200,
  MEMBERS: 20,
  P99_MS: 50,
  CONNECTIONS: 64,
  /** Rounds of bisection between the highest passing rate and the one that failed. */
  REFINE: 2,
});

/** The offered rates, ascending (`RATES=100,200,…`). */
const DEFAULT_RATES = [
  10, 20, 35, 50, 70, 100, 140, 200, 280, 400, 560, 800, 1100, 1600, 2200, 3200, 4500, 6400, 9000,
];

function listFromEnv(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  if (!raw) return [...fallback];
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !(v > 0))) throw new Error(`${name}: a comma-separated list of positive numbers`);
  return values.sort((a, b) => a - b);
}

const RATES = listFromEnv('RATES', DEFAULT_RATES);
const PARTS = (process.env['PARTS'] ?? 'writes,commands').split(',').map((s) => s.trim());

/** One workload kind measured on the system and on the floor. */
export interface CapacityPair {
  kind: 'writes' | 'commands';
  system: LadderResult;
  floor: LadderResult;
  /** system capacity / floor capacity */
  ratio: number;
}

async function writesPair(sys: BenchSystem, floorUrl: string, o: Parameters<typeof runLadders>[2]) {
  const { GUILDS, SOCKETS, CONNECTIONS } = SETTINGS;
  const guilds = sys.guilds.slice(1, 1 + GUILDS);
  const guildIds = guilds.map((g) => g.guildId);
  const plan = await socketPlan(sys, guilds, SOCKETS, GUILDS);
  const tokens = plan.slice(0, GUILDS).map((p) => p.token);
  const sysRooms = await RoomSockets.connect(sys.apiUrl, guildIds, plan);
  const floorRooms = await RoomSockets.connect(
    floorUrl,
    guildIds,
    plan.map((p) => ({ ...p, token: 'floor' })),
  );
  const apiHttp = new Pool(sys.apiUrl, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  const floorHttp = new Pool(floorUrl, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    console.log(
      `writes: ${sysRooms.all.length} sockets over ${sysRooms.guildsWithSockets} guilds on each side`,
    );
    const [system, floor] = await runLadders(
      [
        new WriteWorkload('system writes', sysRooms, apiHttp, guildIds, tokens),
        new WriteWorkload('floor writes', floorRooms, floorHttp, guildIds, tokens),
      ],
      RATES,
      o,
    );
    return { system: system!, floor: floor! };
  } finally {
    sysRooms.close();
    floorRooms.close();
    await apiHttp.close().catch(() => {});
    await floorHttp.close().catch(() => {});
  }
}

async function commandsPair(sys: BenchSystem, floorUrl: string, o: Parameters<typeof runLadders>[2]) {
  const { GUILDS, SOCKETS, PANEL_GUILDS, CONNECTIONS } = SETTINGS;
  const guilds = sys.guilds.slice(1, 1 + GUILDS);
  const guildIds = guilds.map((g) => g.guildId);
  const plan = await socketPlan(sys, guilds, SOCKETS, PANEL_GUILDS);
  const sysRooms = await RoomSockets.connect(sys.apiUrl, guildIds, plan);
  const floorRooms = await RoomSockets.connect(
    floorUrl,
    guildIds,
    plan.map((p) => ({ ...p, token: 'floor' })),
  );
  const floorHttp = new Pool(floorUrl, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  const driver = commandDriver(sys, guilds);
  try {
    console.log(
      `commands: ${sysRooms.all.length} sockets over ${sysRooms.guildsWithSockets} of ${GUILDS} guilds on each side`,
    );
    const [system, floor] = await runLadders(
      [
        new BotCommandWorkload('system commands', sysRooms, driver, guilds),
        new FloorCommandWorkload('floor commands', floorRooms, floorHttp, guilds),
      ],
      RATES,
      o,
    );
    return { system: system!, floor: floor! };
  } finally {
    driver.close();
    sysRooms.close();
    floorRooms.close();
    await floorHttp.close().catch(() => {});
  }
}

async function main(): Promise<void> {
  const loadAtStart = stats.loadAverage();
  const { GUILDS, MEMBERS, WARMUP_S, STEP_S, DRAIN_MS, P99_MS, REFINE } = SETTINGS;
  console.log(
    `bench:capacity — starting the system (${GUILDS} guilds, ${MEMBERS} members each) and the floor server …`,
  );
  const sys = await startCommandSystem('capacity', GUILDS, MEMBERS);
  const floor = await startFloor(sys).catch(async (err: unknown) => {
    await sys.stop();
    throw err;
  });
  const rule: StepRule = { p99Ms: P99_MS, minAchieved: 0.95 };
  const o = {
    warmupS: WARMUP_S,
    stepS: STEP_S,
    drainMs: DRAIN_MS,
    rule,
    refine: REFINE,
    log: (l: string) => console.log(l),
  };
  const pairs: CapacityPair[] = [];
  try {
    console.log(`apps: ${sys.runtime}; floor server at ${floor.url}; rates ${RATES.join(', ')}`);
    await sys.warmBotCaches();
    for (const [kind, stepPair] of [
      ['writes', writesPair],
      ['commands', commandsPair],
    ] as const) {
      if (!PARTS.includes(kind)) continue;
      const { system, floor: f } = await stepPair(sys, floor.url, o);
      pairs.push({ kind, system, floor: f, ratio: f.capacity > 0 ? system.capacity / f.capacity : 0 });
    }
    publishCapacity(sys, pairs, loadAtStart, { ...SETTINGS, RATES });
  } finally {
    await floor.stop();
    await sys.stop();
  }
}

run.main(main);
