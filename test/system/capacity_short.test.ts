/**
 * The short variant of `npm run bench:commands` and `npm run bench:capacity`: the system (panel
 * API and bot as processes, the Discord emulator) and the raw floor server, a few guilds, panel
 * sockets on half of them, one small open-loop step of each workload. Asserts correctness only
 * (timings belong to the benchmarks): every command answered has exactly one audit row and its
 * `command:executed` on every socket of its guild, nothing reaches a socket of another guild,
 * every write of the system and of the floor is answered and delivered to every socket of its guild.
 */
import { databaseUrl, postgresKind } from '@wolaro/test-harness';
import { Pool } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RoomSockets } from '../../bench/src/capacity/rooms.js';
import {
  type CapacityFloor,
  socketPlan,
  startCommandSystem,
  startFloor,
} from '../../bench/src/capacity/setup.js';
import { runStep } from '../../bench/src/capacity/steps.js';
import { FloorCommandWorkload, WriteWorkload } from '../../bench/src/capacity/workloads.js';
import { runCommands } from '../../bench/src/commands.js';
import type { BenchSystem } from '../../bench/src/system.js';

const GUILDS = 4;
const STEP = { warmupS: 0.5, stepS: 2, drainMs: 10_000 };

let sys: BenchSystem | undefined;
let floor: CapacityFloor | undefined;

// The CPU accounting of the bench system reads pg_stat_activity: a real PostgreSQL server.
const real = postgresKind() !== 'pglite';

beforeAll(async () => {
  if (!real) return;
  sys = await startCommandSystem('capacity_short', GUILDS, 3, databaseUrl());
  floor = await startFloor(sys);
  await sys.warmBotCaches();
}, 120_000);

afterAll(async () => {
  await floor?.stop();
  await sys?.stop();
}, 60_000);

it.skipIf(!real)(
  'commands through the bot: each answered command has one audit row and its event on every socket of its guild only',
  async () => {
    const r = await runCommands(sys!, {
      rate: 40,
      durationS: STEP.stepS,
      warmupS: STEP.warmupS,
      guilds: GUILDS,
      panelGuilds: 2,
      sockets: 8,
      drainMs: STEP.drainMs,
      p99Ms: 50,
    });
    const commands = Math.round(40 * STEP.warmupS) + Math.round(40 * STEP.stepS);
    expect({ unanswered: r.step.errors, lostEvents: r.step.lost, foreign: r.step.foreign }).toEqual({
      unanswered: 0,
      lostEvents: 0,
      foreign: 0,
    });
    expect(r.step.ok).toBe(Math.round(40 * STEP.stepS));
    const a = r.audit;
    expect({ commands: a.commands, answered: a.answered, withRow: a.answeredWithRow }).toEqual({
      commands,
      answered: commands,
      withRow: commands,
    });
    expect({
      lost: a.lost,
      duplicates: a.duplicates,
      withoutAnswer: a.rowsWithoutAnswer,
      foreign: a.foreignRows,
    }).toEqual({ lost: 0, duplicates: 0, withoutAnswer: 0, foreign: 0 });
    expect(a.batches.count).toBeGreaterThan(0);
    // Half the commands are in guilds without a socket: they reach no socket.
    expect(r.fanOut.otherGuildCommands).toBe(commands / 2);
    expect(r.fanOut.received).toBe(r.fanOut.expectedDeliveries);
    expect(r.fanOut.expectedDeliveries).toBe((commands / 2) * 4);
  },
  60_000,
);

it.skipIf(!real)(
  'writes to the system and to the floor, commands to the floor: all answered and delivered to every socket of the guild',
  async () => {
    const guilds = sys!.guilds.slice(1, 1 + GUILDS);
    const guildIds = guilds.map((g) => g.guildId);
    const plan = await socketPlan(sys!, guilds, 8, GUILDS);
    const tokens = plan.slice(0, GUILDS).map((p) => p.token);
    const floorPlan = plan.map((p) => ({ ...p, token: 'floor' }));
    const apiRooms = await RoomSockets.connect(sys!.apiUrl, guildIds, plan);
    const floorRooms = await RoomSockets.connect(floor!.url, guildIds, floorPlan);
    const apiHttp = new Pool(sys!.apiUrl, { connections: 8 });
    const floorHttp = new Pool(floor!.url, { connections: 8 });
    try {
      const steps = [
        await runStep(new WriteWorkload('system writes', apiRooms, apiHttp, guildIds, tokens), 40, STEP),
        await runStep(new WriteWorkload('floor writes', floorRooms, floorHttp, guildIds, tokens), 40, STEP),
        await runStep(new FloorCommandWorkload('floor commands', floorRooms, floorHttp, guilds), 40, STEP),
      ];
      for (const s of steps) {
        expect({ ok: s.ok, errors: s.errors, lost: s.lost, foreign: s.foreign }).toEqual({
          ok: 80,
          errors: 0,
          lost: 0,
          foreign: 0,
        });
        // Every operation was timed on the sockets of its guild (every guild has sockets here).
        expect(s.latencies.length).toBe(80);
      }
    } finally {
      apiRooms.close();
      floorRooms.close();
      await apiHttp.close();
      await floorHttp.close();
    }
  },
  60_000,
);
