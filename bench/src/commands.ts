/**
 * bench:commands — the command path at volume: `/ping` slash commands through the Discord emulator
 * (INTERACTION_CREATE on the real discord.js bot's gateway, answered through the interaction
 * callback) at a fixed open-loop rate, default 5,000/s for 10 s after 2 s of warm-up, round-robin
 * over 100 guilds and their members, with 200 panel sockets on 20 of the guilds (10 per room).
 *
 * Measures: commands/s answered; send → the last socket of the guild got `command:executed` (p50,
 * p99); the audit rows in Postgres (every answered command has exactly one row, keyed by its
 * interaction id: 0 lost, 0 duplicate); the size of the audit inserts (the rows of one
 * transaction share `created_at`, the transaction's start); that no socket gets another guild's
 * events and the guilds without a panel reach no socket; CPU of every part. With
 * `BENCH_CPU_PROF=api,bot` the children run with `--cpu-prof` and the report summarizes where
 * their time went.
 *
 *   npm run bench:commands
 *   RATE=5000 DURATION_S=10 WARMUP_S=2 GUILDS=100 PANEL_GUILDS=20 SOCKETS=200 MEMBERS=20 DRAIN_MS=15000
 *
 * Writes bench/results/commands.json and the `bench:commands` section of docs/benchmarks.md.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as stats from '@wolaro/test-harness/report';
import { loadLine } from './capacity/report.js';
import { RoomSockets } from './capacity/rooms.js';
import { commandDriver, cpuProfFromEnv, socketPlan, startCommandSystem } from './capacity/setup.js';
import { runStep, type StepResult } from './capacity/steps.js';
import { BotCommandWorkload } from './capacity/workloads.js';
import { newest, summarizeProfile } from './profile.js';
import * as run from './run_report.js';
import { type BenchSystem, type CpuSample, cpuDelta } from './system.js';

const SETTINGS = stats.numbersFromEnv({
  RATE: 5000,
  DURATION_S: 10,
  WARMUP_S: 2,
  GUILDS: 100,
  PANEL_GUILDS: 20,
  SOCKETS: 200,
  MEMBERS: 20,
  DRAIN_MS: 15_000,
  P99_MS: 50,
  MIN_RATE: 25,
});

/** The audit rows of the commands of a run, checked against the answered commands. */
export interface AuditCheck {
  /** Commands created in the emulator (warm-up included). */
  commands: number;
  answered: number;
  /** Answered commands with exactly one `audit_log` row (by interaction id). */
  answeredWithRow: number;
  /** Answered commands without a row: lost audit entries. */
  lost: number;
  /** Rows of a run id written more than once. */
  duplicates: number;
  /** Rows for commands the user never saw answered (the answer came too late or failed). */
  rowsWithoutAnswer: number;
  /** Rows written since the start that belong to no command of the run. */
  foreignRows: number;
  /** Audit inserts (transactions) and their sizes. */
  batches: { count: number; p50: number; p99: number; max: number; mean: number };
  /** The run ids with a row (not in the results file). */
  recorded: ReadonlySet<string>;
}

/** Checks the audit rows written after `afterId` against the run's commands. */
export async function checkAudit(
  sys: BenchSystem,
  afterId: string,
  commands: readonly { interactionId: string | undefined; answered: boolean }[],
  waitMs = 10_000,
): Promise<AuditCheck> {
  const ids = commands.map((c) => c.interactionId).filter((id): id is string => id !== undefined);
  const answeredIds = new Set(
    commands.filter((c) => c.answered && c.interactionId !== undefined).map((c) => c.interactionId!),
  );
  // A row is committed before its answer goes (or the wait gave up): wait for the stragglers.
  const read = async () => {
    const { rows } = await sys.pool.query<{ run_id: string | null; n: string }>(
      'SELECT run_id, count(*)::text AS n FROM audit_log WHERE id > $1::bigint GROUP BY run_id',
      [afterId],
    );
    return new Map(rows.map((r) => [r.run_id, Number(r.n)]));
  };
  const deadline = performance.now() + waitMs;
  let byRun = await read();
  while ([...answeredIds].some((id) => !byRun.has(id)) && performance.now() < deadline) {
    await sleep(200);
    byRun = await read();
  }
  const known = new Set(ids);
  let answeredWithRow = 0;
  let duplicates = 0;
  let rowsWithoutAnswer = 0;
  let foreignRows = 0;
  for (const [runId, n] of byRun) {
    if (n > 1) duplicates += n - 1;
    if (runId === null || !known.has(runId)) foreignRows += n;
    else if (!answeredIds.has(runId)) rowsWithoutAnswer++;
  }
  for (const id of answeredIds) if (byRun.get(id) === 1) answeredWithRow++;
  const { rows: batchRows } = await sys.pool.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM audit_log WHERE id > $1::bigint GROUP BY created_at',
    [afterId],
  );
  const sizes = batchRows.map((r) => Number(r.n));
  const sum = sizes.reduce((a, b) => a + b, 0);
  const s = stats.summarize(sizes);
  return {
    commands: commands.length,
    answered: answeredIds.size,
    answeredWithRow,
    lost: answeredIds.size - answeredWithRow,
    duplicates,
    rowsWithoutAnswer,
    foreignRows,
    batches: {
      count: sizes.length,
      p50: s.p50,
      p99: s.p99,
      max: s.max,
      mean: stats.round(sum / Math.max(1, sizes.length), 1),
    },
    recorded: new Set([...byRun.keys()].filter((id): id is string => id !== null && known.has(id))),
  };
}

/** What the sockets got: per room, expected vs received, and nothing from other guilds. */
export interface FanOut {
  socketsPerPanelGuild: number;
  panelGuilds: number;
  /** Recorded commands (an audit row) of guilds with a panel, and of guilds without one. */
  panelGuildCommands: number;
  otherGuildCommands: number;
  /** Events expected on the sockets (recorded commands of a guild × its sockets) and received. */
  expectedDeliveries: number;
  received: number;
  /** Events a socket got for another guild. */
  foreign: number;
}

/** The result of {@link runCommands}. */
export interface CommandsRun {
  step: StepResult;
  audit: AuditCheck;
  fanOut: FanOut;
  cpuCores: CpuSample;
  cpuPerCommandMs: CpuSample;
}

/**
 * Offers `rate` commands/s for `warmupS` + `durationS` on a started system and checks the audit
 * rows and the fan-out. The sockets and the driver are created and closed here.
 */
export async function runCommands(
  sys: BenchSystem,
  o: {
    rate: number;
    durationS: number;
    warmupS: number;
    guilds: number;
    panelGuilds: number;
    sockets: number;
    drainMs: number;
    p99Ms: number;
    log?: (line: string) => void;
  },
): Promise<CommandsRun> {
  const guilds = sys.guilds.slice(1, 1 + o.guilds);
  const plan = await socketPlan(sys, guilds, o.sockets, o.panelGuilds);
  const rooms = await RoomSockets.connect(
    sys.apiUrl,
    guilds.map((g) => g.guildId),
    plan,
  );
  const driver = commandDriver(sys, guilds);
  try {
    o.log?.(`${rooms.all.length} panel sockets over ${rooms.guildsWithSockets} of ${guilds.length} guilds`);
    const w = new BotCommandWorkload('commands', rooms, driver, guilds);
    const { rows } = await sys.pool.query<{ id: string }>(
      'SELECT COALESCE(max(id), 0)::text AS id FROM audit_log',
    );
    const mark = rows[0]?.id ?? '0';
    const cpu0 = await sys.cpu.sample();
    const t0 = performance.now();
    const step = await runStep(w, o.rate, {
      warmupS: o.warmupS,
      stepS: o.durationS,
      drainMs: o.drainMs,
      rule: { p99Ms: o.p99Ms, minAchieved: 0.95 },
    });
    const cpu1 = await sys.cpu.sample();
    const wallMs = performance.now() - t0;
    const all = w.commands();
    const audit = await checkAudit(
      sys,
      mark,
      all.map(({ command }) => ({
        interactionId: command.interactionId,
        answered: command.answeredAt !== undefined,
      })),
    );
    const answered = all.filter(({ command }) => command.answeredAt !== undefined);
    // Every recorded command is announced, answered in time or not.
    const recorded = all.filter(({ command }) => audit.recorded.has(command.interactionId ?? ''));
    const panel = recorded.filter(({ op }) => rooms.byGuild[op.guild]!.length > 0);
    const fanOut: FanOut = {
      socketsPerPanelGuild: Math.round(o.sockets / o.panelGuilds),
      panelGuilds: rooms.guildsWithSockets,
      panelGuildCommands: panel.length,
      otherGuildCommands: recorded.length - panel.length,
      expectedDeliveries: panel.reduce((a, { op }) => a + rooms.byGuild[op.guild]!.length, 0),
      received: rooms.all.reduce((a, s) => a + s.received, 0),
      foreign: rooms.all.reduce((a, s) => a + s.foreign, 0),
    };
    return {
      step,
      audit,
      fanOut,
      cpuCores: cpuDelta(cpu0, cpu1, wallMs),
      cpuPerCommandMs: cpuDelta(cpu0, cpu1, answered.length),
    };
  } finally {
    driver.close();
    rooms.close();
  }
}

function markdown(
  m: stats.MachineInfo,
  sys: BenchSystem,
  runs: readonly CommandsRun[],
  loadAtStart: [number, number, number],
  profile: string | undefined,
): string {
  const { RATE, DURATION_S, WARMUP_S, GUILDS, PANEL_GUILDS, SOCKETS, MEMBERS, P99_MS } = SETTINGS;
  const parts = ['api', 'pgApi', 'bot', 'pgBot', 'redis', 'bench'] as const;
  const first = runs[0]!;
  const limit = runs.find(meets);
  const row = (label: string, f: (r: CommandsRun) => string) => `| ${label} | ${runs.map(f).join(' | ')} |`;
  const verdict =
    limit === first
      ? `**The target is met**: ${RATE.toLocaleString('en')} commands/s with p99 ${stats.ms(first.step.latency.p99)} and 0 lost audit rows.`
      : `**The target of ${RATE.toLocaleString('en')} commands/s is not met on this machine**: ${first.step.achieved.toFixed(0)}/s answered, ${first.step.errors.toLocaleString('en')} of the ${first.step.offered.toLocaleString('en')} commands of the measured window never answered${inOrder(first) ? `, p99 ${stats.ms(first.step.latency.p99)}` : ''}. Halving the rate until a run meets every target (p99 ≤ ${P99_MS} ms, every command answered and its event on every socket of its guild, ≥ 95 % of the rate answered, 0 lost or duplicate audit rows): ${limit ? `the measured limit is **${limit.step.rate.toLocaleString('en')} commands/s**` : `no rate down to ${runs.at(-1)!.step.rate.toLocaleString('en')}/s met every target`}. \`npm run bench:capacity\` steps the rate up in finer steps.`;
  const lines = [
    `## Commands at volume (\`npm run bench:commands\`)`,
    '',
    loadLine(
      m,
      sys,
      runs.map((r) => r.step.loadAfter),
      loadAtStart,
    ),
    '',
    `The real path: \`/ping\` slash commands created in the Discord emulator (INTERACTION_CREATE on the gateway of the discord.js bot, a separate process; the bot answers through the interaction callback), offered open loop for ${DURATION_S} s after ${WARMUP_S} s of warm-up, round-robin over ${GUILDS} guilds and ${MEMBERS} members each; ${SOCKETS} panel sockets on ${PANEL_GUILDS} of the guilds (${first.fanOut.socketsPerPanelGuild} per room). The bot records each run in \`audit_log\` and its \`command:executed\` event in the outbox in one transaction (a group commit of the runs waiting, ≤ 100 per transaction), answers once the row is committed, and publishes the event after COMMIT; the panel API forwards it to the guild's room. The bot runs with \`COMMAND_EVENTS_PER_SECOND=100000\` (default 20 per guild: past it, floods are coalesced into one event per guild and second), so every command has its own event to time; events are matched to commands in order per executor. The emulator and the sockets run in the bench process. First the target rate, then, while a run misses, half the rate.`,
    '',
    verdict,
    '',
    `| offered | ${runs.map((r) => `**${r.step.rate.toLocaleString('en')}/s**`).join(' | ')} |`,
    `|---|${runs.map(() => '---:').join('|')}|`,
    row('commands/s answered', (r) => `**${r.step.achieved.toFixed(0)}/s**`),
    row('created → the last socket of the guild got `command:executed` p50 / p99 / max', (r) =>
      inOrder(r)
        ? `${stats.ms(r.step.latency.p50)} / **${stats.ms(r.step.latency.p99)}** / ${stats.ms(r.step.latency.max)}`
        : 'n/a (commands the bot skipped)',
    ),
    row('commands not answered (measured window)', (r) => String(r.step.errors)),
    row('answered, event missing on a socket of the guild', (r) =>
      inOrder(r) ? String(r.step.lost) : 'n/a',
    ),
    row(
      'answered commands (warm-up included) with exactly one audit row',
      (r) => `${r.audit.answeredWithRow.toLocaleString('en')} of ${r.audit.answered.toLocaleString('en')}`,
    ),
    row(
      '**lost audit rows** (answered, no row) / duplicate rows',
      (r) => `**${r.audit.lost}** / ${r.audit.duplicates}`,
    ),
    row(
      'rows of commands never answered (answer past the 3 s window) / rows of no command',
      (r) => `${r.audit.rowsWithoutAnswer} / ${r.audit.foreignRows}`,
    ),
    row(
      'audit inserts: transactions / rows per insert p50 / p99 / max / mean',
      (r) =>
        `${r.audit.batches.count.toLocaleString('en')} / ${r.audit.batches.p50} / ${r.audit.batches.p99} / ${r.audit.batches.max} / ${r.audit.batches.mean}`,
    ),
    row(
      'fan-out: deliveries expected (recorded commands of guilds with a panel × their sockets) / received',
      (r) =>
        `${r.fanOut.expectedDeliveries.toLocaleString('en')} / ${r.fanOut.received.toLocaleString('en')}`,
    ),
    row(
      `events a socket got for another guild / commands of the ${GUILDS - first.fanOut.panelGuilds} guilds without a panel (they reach no socket)`,
      (r) => `${r.fanOut.foreign} / ${r.fanOut.otherGuildCommands.toLocaleString('en')}`,
    ),
    row('scheduler lag (actual − planned create) p99', (r) => stats.ms(r.step.lagP99)),
    row(`cores busy: ${parts.join(' / ')}`, (r) => parts.map((k) => r.cpuCores[k].toFixed(2)).join(' / ')),
    row(`CPU per answered command (ms): ${parts.join(' / ')}`, (r) =>
      parts.map((k) => r.cpuPerCommandMs[k].toFixed(2)).join(' / '),
    ),
    row('meets every target', (r) => (meets(r) ? '✅' : '❌')),
  ];
  if (profile) {
    lines.push(
      '',
      'Where the time goes: CPU profiles of this run (`BENCH_CPU_PROF=api,bot`, the whole life of each process, start-up included; summarized by `npm run profile:summary -w bench`):',
      '',
      '```',
      profile,
      '```',
    );
  }
  lines.push(
    '',
    `Reproduce: \`npm run build && BENCH_CPU_PROF=api,bot npm run bench:commands\` (shorter: \`RATE=1000 DURATION_S=3 npm run bench:commands\`).`,
  );
  return lines.join('\n');
}

/** The top of each profile the children wrote when they exited (self time by package, hottest functions), named by file. */
function profileSummary(): string | undefined {
  const wanted = cpuProfFromEnv();
  if (wanted.length === 0) return undefined;
  return wanted
    .map((w) => newest(w === 'api' ? 'panel-api-' : 'bot-'))
    .filter((f): f is string => f !== undefined)
    .map((f) => summarizeProfile(f, 12).replace(/^\S*\//, ''))
    .join('\n\n');
}

/** Waits (at most `maxMs`) until no audit row was added for `quietMs`: the bot's backlog is done. */
async function quiesce(sys: BenchSystem, quietMs = 1500, maxMs = 30_000): Promise<void> {
  const count = async () =>
    (await sys.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log')).rows[0]?.n;
  const deadline = performance.now() + maxMs;
  let last = await count();
  while (performance.now() < deadline) {
    await sleep(quietMs);
    const now = await count();
    if (now === last) return;
    last = now;
  }
}

/**
 * Whether every command of the run was recorded (so announced): events are matched to commands in
 * order per executor, and a command the bot skipped (too old to answer) has no event, which shifts
 * the matching of that executor's later commands: latencies are then not meaningful.
 */
const inOrder = (r: CommandsRun): boolean => r.audit.recorded.size === r.audit.commands;

/** A run meets the targets: the step passed (p99, errors, lost events, rate) and no audit row lost or doubled. */
const meets = (r: CommandsRun): boolean => r.step.pass && r.audit.lost === 0 && r.audit.duplicates === 0;

function runLine(r: CommandsRun): string {
  const { step: s, audit: a } = r;
  return `${s.rate}/s offered: ${s.achieved.toFixed(0)}/s answered, p50 ${stats.ms(s.latency.p50)} p99 ${stats.ms(s.latency.p99)}, unanswered ${s.errors}, lost events ${s.lost}, audit ${a.answeredWithRow}/${a.answered} (lost ${a.lost}, dup ${a.duplicates}), inserts ${a.batches.count} (rows p50 ${a.batches.p50}, max ${a.batches.max}) → ${meets(r) ? 'meets the targets' : 'misses'} (load ${s.loadAfter.join(' ')})`;
}

async function main(): Promise<void> {
  const loadAtStart = stats.loadAverage();
  const { RATE, DURATION_S, WARMUP_S, GUILDS, PANEL_GUILDS, SOCKETS, MEMBERS, DRAIN_MS, P99_MS, MIN_RATE } =
    SETTINGS;
  console.log(`bench:commands — starting the system (${GUILDS} guilds, ${MEMBERS} members each) …`);
  const sys = await startCommandSystem('commands', GUILDS, MEMBERS);
  const runs: CommandsRun[] = [];
  try {
    await sys.warmBotCaches();
    // The target rate; when it is missed, half the rate until a run meets the targets (the limit).
    for (let rate = RATE; rate >= MIN_RATE; rate = Math.round(rate / 2)) {
      if (runs.length > 0) await quiesce(sys);
      const r = await runCommands(sys, {
        rate,
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        guilds: GUILDS,
        panelGuilds: PANEL_GUILDS,
        sockets: SOCKETS,
        drainMs: DRAIN_MS,
        p99Ms: P99_MS,
        log: (l) => console.log(l),
      });
      runs.push(r);
      console.log(runLine(r));
      if (meets(r)) break;
    }
  } finally {
    await sys.stop();
  }
  const profile = profileSummary();
  const m = stats.machine();
  const md = markdown(m, sys, runs, loadAtStart, profile);
  console.log(`\n${md}\n`);
  stats.writeReport(
    'commands',
    {
      machine: m,
      apps: sys.runtime,
      code: stats.codeVersion(),
      config: SETTINGS,
      loadAverage: { atStart: loadAtStart, afterEachRun: runs.map((r) => r.step.loadAfter) },
      limit: runs.find(meets)?.step.rate ?? 0,
      runs: runs.map((r) => {
        const { latencies, ...step } = r.step;
        const { recorded: _recorded, ...audit } = r.audit;
        return {
          meetsTargets: meets(r),
          step: { ...step, histogram: stats.histogram(latencies) },
          audit,
          fanOut: r.fanOut,
          cpuCores: r.cpuCores,
          cpuPerCommandMs: r.cpuPerCommandMs,
        };
      }),
      ...(profile ? { profile } : {}),
    },
    md,
  );
  console.log('wrote bench/results/commands.json, docs/benchmarks.md (bench:commands)');
}

if (import.meta.url === `file://${process.argv[1]}`) run.main(main);
