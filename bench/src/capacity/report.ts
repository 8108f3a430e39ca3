/** The report of bench:capacity: bench/results/capacity.json, its docs section and its chart. */
import * as stats from '@wolaro/test-harness/report';
import * as run from '../run_report.js';
import { xySvg } from '../svg.js';
import type { BenchSystem } from '../system.js';
import type { CapacityPair } from './main.js';
import { decidingStep, type LadderResult, type StepResult } from './steps.js';

const RATIO_TARGET = 0.4;
const CHART = 'docs/img/bench-capacity.svg';

type Load = [number, number, number];

/** The machine, the apps, Postgres, and the load averages (the machine is shared above 2 on 2 cores). */
export function loadLine(
  m: stats.MachineInfo,
  sys: BenchSystem,
  loads: readonly Load[],
  atStart: Load,
): string {
  const ones = [atStart[0], ...loads.map((l) => l[0])];
  const max = Math.max(...ones);
  const apps =
    sys.runtime === 'dist' ? '`node dist/main.js` (the built JS)' : '`node --import tsx src/main.ts`';
  const shared =
    max > 2
      ? `the machine was shared (load above 2 on ${m.cpus} cores): the numbers are lower than on a quiet machine`
      : 'the machine was quiet';
  return `${stats.machineLine(m)}. Apps: ${apps}, panel API and bot as separate processes; ${sys.postgres}, Redis, all on loopback. Load average (\`uptime\`, 1 / 5 / 15 min) at the start ${atStart.join(' / ')}, 1 min ${Math.min(...ones).toFixed(1)}–${max.toFixed(1)} during the run: ${shared}.`;
}

const cell = (s: StepResult | undefined): string[] =>
  s
    ? [
        `${s.achieved.toFixed(0)}/s`,
        stats.ms(s.latency.p50),
        stats.ms(s.latency.p99),
        String(s.errors),
        String(s.lost),
        s.pass ? (s.attempt > 1 ? '✅ (2nd run)' : '✅') : s.attempt > 1 ? '❌ (twice)' : '❌',
      ]
    : ['', '', '', '', '', ''];

function stepsTable(pair: CapacityPair): string[] {
  const rates = [...new Set([...pair.system.steps, ...pair.floor.steps].map((s) => s.rate))].sort(
    (a, b) => a - b,
  );
  const at = decidingStep;
  return [
    '| offered | system: achieved | p50 | p99 | errors | lost | pass | floor: achieved | p50 | p99 | errors | lost | pass |',
    '|---:|---:|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|:-:|',
    ...rates.map(
      (r) => `| ${r}/s | ${[...cell(at(pair.system, r)), ...cell(at(pair.floor, r))].join(' | ')} |`,
    ),
  ];
}

const KIND_TEXT: Record<CapacityPair['kind'], string> = {
  writes:
    "Config writes: `PATCH /api/panel/guilds/:id` round-robin over the guilds (undici pool, keep-alive), 2 panel sockets per guild; latency: send → the last socket of the guild got `config:updated` with the version the response returned. Floor: the same request to the floor server (a durable `UPDATE` of a copy of `guilds` → `PUBLISH` → subscriber → `io.to(room).emit`), its reloader running the reload query of the bot for each event, as the system's bot reloads each written guild.",
  commands:
    "Commands: `/ping` through the Discord emulator (INTERACTION_CREATE on the bot's gateway; the bot answers through the interaction callback), round-robin over the guilds and their members, 10 panel sockets in each of the guilds with a panel; latency: the interaction created → the last socket of the guild got its `command:executed`; an error is a command the bot did not answer. Floor: `POST /commands` to the floor server (the commands of one event-loop turn in one durable `INSERT … unnest` into a copy of `audit_log` → one `PUBLISH` each → `emit('command:executed')`).",
};

/** One point per rate: the p99 of the step that decided it (the second run after a failure). */
const deciding = (l: LadderResult) =>
  [...new Set(l.steps.map((s) => s.rate))].map((rate) => ({
    x: rate,
    y: decidingStep(l, rate)!.latency.p99,
  }));

function chart(m: stats.MachineInfo, pairs: readonly CapacityPair[], p99Ms: number): string {
  const colors = { writes: '#1f6feb', commands: '#d1242f' };
  return xySvg({
    title: 'bench:capacity — p99 (send → every socket of the guild) vs offered rate',
    subtitle: stats.machineLine(m),
    xLabel: 'offered rate (operations/s, log scale)',
    yLabel: 'p99 latency (ms, log scale)',
    series: pairs.flatMap((p) => [
      {
        label: `system ${p.kind} (capacity ${p.system.capacity}/s)`,
        color: colors[p.kind],
        points: deciding(p.system),
      },
      {
        label: `floor ${p.kind} (${p.floor.capacity}/s)`,
        color: colors[p.kind],
        dashed: true,
        points: deciding(p.floor),
      },
    ]),
    yMarkers: [{ label: `p99 ${p99Ms} ms`, y: p99Ms }],
  });
}

export function publishCapacity(
  sys: BenchSystem,
  pairs: readonly CapacityPair[],
  loadAtStart: Load,
  settings: Record<string, number | number[]>,
): void {
  const m = stats.machine();
  const p99Ms = Number(settings['P99_MS']);
  const allSteps = pairs.flatMap((p) => [...p.system.steps, ...p.floor.steps]);
  const lines = [
    '## Capacity: the highest sustained rate, system vs raw floor (`npm run bench:capacity`)',
    '',
    loadLine(
      m,
      sys,
      allSteps.map((s) => s.loadAfter),
      loadAtStart,
    ),
    '',
    `Open-loop steps of increasing rate, each held ${settings['WARMUP_S']} s (warm-up, not counted) + ${settings['STEP_S']} s (measured), then drained. A step passes with **p99 ≤ ${p99Ms} ms** from send to the last socket of the guild having the event, **0 errors, 0 lost** (an answered operation whose event did not reach every socket of its guild), and at least 95 % of the offered rate achieved (answered per second, first send → last answer or delivery). A failed step is run once more at the same rate to confirm it (a 50 ms stall of a shared machine fails a whole step); a workload stops at its first confirmed failure. Then, ${refineTimes(Number(settings['REFINE']))}, it is offered the geometric middle of its highest passing rate and the rate that failed (confirmed the same way), which narrows the gap between two rungs of the ladder; its capacity is the highest rate whose step passed. The raw floor (a server process of its own doing the same hops by hand: durable Postgres write, Redis \`PUBLISH\`, socket.io emit to the guild's room; no auth, validation, outbox or rate limits; and, as the system's bot reloads every written guild, a reloader process that runs the bot's reload query for each \`config:update\`) is stepped the same way in the same run with the same sockets and payloads, its steps interleaved with the system's (at each rate, the system's step then the floor's), so machine noise falls on both alike. ${settings['GUILDS']} guilds, ${settings['SOCKETS']} panel sockets (socket.io-client, websocket) per side.`,
    '',
    '| workload | system capacity | floor capacity | system / floor | target ≥ 0.4 |',
    '|---|---:|---:|---:|---|',
    ...pairs.map(
      (p) =>
        `| ${p.kind} | **${p.system.capacity}/s** | ${p.floor.capacity}/s | **${p.ratio.toFixed(2)}** | ${p.ratio >= RATIO_TARGET ? '✅ met' : `❌ ${(p.ratio / RATIO_TARGET).toFixed(2)}× the target`} |`,
    ),
    '',
    ...pairs.flatMap((p) => [`### ${p.kind}`, '', KIND_TEXT[p.kind], '', ...stepsTable(p), '']),
    `![p99 vs offered rate](img/bench-capacity.svg)`,
    '',
    `Reproduce: \`npm run build && npm run bench:capacity\` (shorter: \`STEP_S=4 RATES=100,200,400 PARTS=writes npm run bench:capacity\`; that run writes its results too).`,
  ];
  const strip = (l: LadderResult) => ({
    ...l,
    steps: l.steps.map(({ latencies, ...rest }) => ({ ...rest, histogram: stats.histogram(latencies) })),
  });
  run.publish('capacity', {
    markdown: lines.join('\n'),
    chartPath: CHART,
    chart: chart(m, pairs, p99Ms),
    results: {
      machine: m,
      apps: sys.runtime,
      code: stats.codeVersion(),
      config: settings,
      loadAverage: { atStart: loadAtStart, afterEachStep: allSteps.map((s) => s.loadAfter) },
      capacities: Object.fromEntries(
        pairs.map((p) => [
          p.kind,
          {
            system: p.system.capacity,
            floor: p.floor.capacity,
            ratio: stats.round(p.ratio, 3),
            target: RATIO_TARGET,
          },
        ]),
      ),
      pairs: pairs.map((p) => ({ kind: p.kind, system: strip(p.system), floor: strip(p.floor) })),
      chart: CHART,
    },
  });
}

/** `REFINE` in words: how many bisection rounds followed the ladder. */
function refineTimes(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}
