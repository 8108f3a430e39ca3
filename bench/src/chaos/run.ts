/**
 * A chaos run: the stack, the panels and the load, then one round per scenario — load, fault,
 * more load, stop, settle, check — and the results of every round. `npm run chaos` (main.ts) and
 * the short variant in the test suite both call {@link runChaos}.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditCheck,
  checkAudit,
  checkStates,
  checkWrites,
  readTruth,
  recoveryMs,
  type StateCheck,
  type WriteCheck,
} from './checks.js';
import {
  type BotCheck,
  checkBot,
  closeLoad,
  consumers,
  type Load,
  prepareLoad,
  settle,
  violations,
} from './driver.js';
import { type FaultWindow, injectFault } from './scenarios.js';
import type { ChaosSettings, ScenarioName } from './settings.js';
import { type ChaosStack, startChaosStack } from './stack.js';

/** Everything measured in one round. */
export interface RoundResult {
  scenario: ScenarioName;
  fault: Omit<FaultWindow, 'injectedAt' | 'clearedAt'> & { durationMs: number };
  writes: WriteCheck & { deferred: number };
  /** Answers the rules forbid: 503 where the database was reachable, another 5xx, an unexpected 4xx, a hang. */
  errorViolations: Record<string, number>;
  sockets: StateCheck & { reconnects: number; failedLoads: number };
  bot: BotCheck;
  commands: AuditCheck & { createFailed: number };
  /** Fault cleared → every socket and the bot on the database's version of that moment (ms). */
  recoveryMs: number | undefined;
  /** Consumers that never got there. */
  notRecovered: number;
  /** Processes that died without being killed by the scenario (restarted before the next round). */
  crashed: string[];
  /** VmRSS (kB) of each process before and after the round. */
  rssKb: { before: Record<string, number | null>; after: Record<string, number | null> };
}

/** A whole run. */
export interface ChaosResult {
  settings: ChaosSettings;
  runtime: string;
  postgres: string;
  rounds: RoundResult[];
  /** Rounds the harness could not finish (e.g. a restarted part never came back), with why. */
  failed: { scenario: ScenarioName; error: string }[];
}

/** Restarts what is not running (a process that crashed on its own); returns their names. */
async function restoreStack(stack: ChaosStack, log: (line: string) => void = () => {}): Promise<string[]> {
  const crashed: string[] = [];
  for (const [i, app] of [...stack.sys.apis, stack.sys.bot].entries()) {
    if (app.running) continue;
    const name = i < stack.sys.apis.length ? `api${i + 1}` : 'bot';
    log(`${name} exited on its own; its last lines:\n${app.logs.tail().split('\n').slice(-12).join('\n')}`);
  }
  if (!stack.redis.running) {
    crashed.push('redis');
    await stack.redis.restart();
  }
  for (const [i, api] of stack.sys.apis.entries()) {
    if (api.running) continue;
    crashed.push(`api${i + 1}`);
    await api.start();
  }
  if (!stack.sys.bot.running) {
    crashed.push('bot');
    await stack.sys.bot.start();
  }
  return crashed;
}

/** Audit entries catch up with the answers (recorded after them): wait a little for stragglers. */
async function auditWhenSettled(load: Load, afterId: string): Promise<AuditCheck> {
  const ids = load.guilds.map((g) => g.guildId);
  const deadline = performance.now() + 5000;
  for (;;) {
    const check = await checkAudit(load.stack.sys.pool, load.commands.records, ids, afterId);
    if (check.missing === 0 || performance.now() > deadline) return check;
    await sleep(100);
  }
}

/**
 * The last audit entry once no more are being written (at most 10 s): entries of earlier commands
 * still on their way would otherwise count in this round.
 */
async function quietAuditMark(load: Load): Promise<string> {
  const read = async () =>
    (
      await load.stack.sys.pool.query<{ id: string }>(
        'SELECT COALESCE(max(id), 0)::text AS id FROM audit_log',
      )
    ).rows[0]?.id ?? '0';
  const deadline = performance.now() + 10_000;
  let last = await read();
  for (;;) {
    await sleep(500);
    const now = await read();
    if (now === last || performance.now() > deadline) return now;
    last = now;
  }
}

async function runRound(
  load: Load,
  scenario: ScenarioName,
  settings: ChaosSettings,
  log: (line: string) => void,
): Promise<RoundResult> {
  const { stack } = load;
  const { pool } = stack.sys;
  const ids = load.guilds.map((g) => g.guildId);
  const mark = await quietAuditMark(load);
  const reconnects0 = load.panels.reduce((a, p) => a + p.connects, 0);
  const failed0 = load.panels.reduce((a, p) => a + p.failedLoads, 0);
  const rssBefore = stack.rss();
  load.writes.start();
  load.commands.start();
  await sleep(settings.beforeS * 1000);
  log(`  ${scenario}: injecting`);
  const fault = await injectFault(scenario, { stack, settings, bot: load.bot });
  const atClear = await readTruth(pool, ids);
  log(`  ${scenario}: cleared (${fault.detail}), load goes on ${settings.afterS} s`);
  await sleep(settings.afterS * 1000);
  await load.writes.stop(settings.requestTimeoutMs + 2000);
  await load.commands.stop(16_000);
  const truth = await settle(load, settings.settleMs);
  const recovery = recoveryMs(fault.clearedAt, atClear, consumers(load));
  const bot = await checkBot(load, truth);
  const commands = await auditWhenSettled(load, mark);
  const writes = await checkWrites(pool, load.writes.records, ids, truth, fault);
  const sockets = checkStates(
    load.panels.map((p) => ({
      guildId: p.guildId,
      version: p.timeline.version,
      settings: p.timeline.settings,
    })),
    truth,
  );
  const crashed = await restoreStack(stack, log);
  return {
    scenario,
    fault: {
      databaseFault: fault.databaseFault,
      detail: fault.detail,
      durationMs: Math.round(fault.clearedAt - fault.injectedAt),
      ...(fault.restartMs === undefined ? {} : { restartMs: fault.restartMs }),
    },
    writes: { ...writes, deferred: load.writes.deferred },
    errorViolations: violations(writes.byStatus, fault.databaseFault),
    sockets: {
      ...sockets,
      reconnects: load.panels.reduce((a, p) => a + p.connects, 0) - reconnects0,
      failedLoads: load.panels.reduce((a, p) => a + p.failedLoads, 0) - failed0,
    },
    bot,
    commands: { ...commands, createFailed: load.commands.createFailed },
    recoveryMs: recovery.ms,
    notRecovered: recovery.behind,
    crashed,
    rssKb: { before: rssBefore, after: stack.rss() },
  };
}

/** One line per round for the console. */
export function roundLine(r: RoundResult): string {
  const w = r.writes;
  const status = Object.entries(w.byStatus)
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  return `${r.scenario}: writes ${w.acknowledged}/${w.sent} acked, lost ${w.lost}, pruned ${w.pruned} [${status}] | sockets stale ${r.sockets.stale} wrong ${r.sockets.wrong} | bot stale ${r.bot.stale} wrong ${r.bot.wrong} | commands ${r.commands.answered}/${r.commands.issued}, audit missing ${r.commands.missing} dup ${r.commands.duplicate} | recovery ${r.recoveryMs ?? `not reached (${r.notRecovered} behind)`} ms${r.crashed.length ? ` | CRASHED ${r.crashed.join(',')}` : ''}`;
}

/**
 * Starts the stack, connects the panels, then runs one round per scenario of `settings`; stops
 * everything at the end, also on failure.
 *
 * @example
 * ```ts
 * const result = await runChaos(shortSettings(), { label: 'chaos', log: console.log });
 * ```
 */
export async function runChaos(
  settings: ChaosSettings,
  options: { label: string; databaseUrl?: string; log?: (line: string) => void },
): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const stack = await startChaosStack(settings, { ...options, log });
  let load: Load | undefined;
  try {
    load = await prepareLoad(stack, settings);
    log(
      `${load.panels.length} panel sockets over ${stack.sys.apis.length} API nodes, ${load.guilds.length} guilds`,
    );
    // Every guild in the bot's cache before the first round, and their audit entries written.
    await Promise.all(load.guilds.map((g, i) => load!.commands.ask(i, g.ownerId, 'config', 10_000)));
    await auditWhenSettled(load, '0');
    const rounds: RoundResult[] = [];
    const failed: ChaosResult['failed'] = [];
    for (const scenario of settings.scenarios) {
      try {
        const round = await runRound(load, scenario, settings, log);
        log(roundLine(round));
        rounds.push(round);
      } catch (err) {
        log(`${scenario}: round failed: ${(err as Error).message}`);
        failed.push({ scenario, error: (err as Error).message.split('\n')[0] ?? '' });
        await load.writes.stop(settings.requestTimeoutMs + 2000);
        await load.commands.stop(16_000);
        await restoreStack(stack);
      }
    }
    return { settings, runtime: stack.sys.runtime, postgres: stack.sys.postgres, rounds, failed };
  } finally {
    if (load) await closeLoad(load);
    await stack.stop();
  }
}
