/**
 * The report of a chaos run: one row per scenario (writes, lost, stale, audit, errors by status,
 * recovery, memory), the targets judged on them, the JSON results.
 */
import type { MachineInfo } from '@wolaro/test-harness/report';
import { machineLine } from '@wolaro/test-harness/report';
import type { ChaosResult, RoundResult } from './run.js';
import { SCENARIO_TEXT } from './scenarios.js';

/** Recovery targets: after Redis returns, and after a restarted process serves again (ms). */
export const TARGETS = { redisRecoveryMs: 2000, restartRecoveryMs: 5000 } as const;

const REDIS_ROUNDS = new Set(['redis-kill', 'redis-pause']);
const RESTART_ROUNDS = new Set(['api-kill', 'bot-kill']);

const mb = (kb: number | null | undefined) =>
  kb === null || kb === undefined ? '–' : (kb / 1024).toFixed(0);

/** `200×1200 503×4 timeout×2` */
export function statusText(byStatus: Record<string, number>): string {
  return Object.entries(byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
}

function rssText(r: RoundResult): string {
  return Object.keys(r.rssKb.before)
    .filter((k) => k !== 'harness')
    .map((k) => `${k} ${mb(r.rssKb.before[k])}→${mb(r.rssKb.after[k])}`)
    .join(', ');
}

/** The recovery target of a round, if it has one. */
export function recoveryTarget(r: RoundResult): number | undefined {
  if (REDIS_ROUNDS.has(r.scenario)) return TARGETS.redisRecoveryMs;
  if (RESTART_ROUNDS.has(r.scenario)) return TARGETS.restartRecoveryMs;
  return undefined;
}

/** What a round misses of the targets, in words (empty: all met). */
export function misses(r: RoundResult): string[] {
  const out: string[] = [];
  if (r.writes.lost > 0) out.push(`${r.writes.lost} acknowledged writes lost`);
  const stale = r.sockets.stale + r.sockets.wrong + r.bot.stale + r.bot.wrong;
  if (stale > 0) out.push(`${stale} stale or wrong final states`);
  if (r.commands.missing + r.commands.duplicate > 0) {
    out.push(`audit: ${r.commands.missing} missing, ${r.commands.duplicate} duplicate`);
  }
  const forbidden = statusText(r.errorViolations);
  if (forbidden) out.push(`forbidden answers: ${forbidden}`);
  const target = recoveryTarget(r);
  if (r.recoveryMs === undefined) out.push(`not recovered (${r.notRecovered} consumers behind)`);
  else if (target !== undefined && r.recoveryMs > target)
    out.push(`recovery ${r.recoveryMs} ms > ${target} ms`);
  if (r.crashed.length > 0) out.push(`crashed: ${r.crashed.join(', ')}`);
  return out;
}

/** The results table (markdown). */
export function roundsTable(result: ChaosResult): string[] {
  return [
    '| scenario | writes acked / sent | lost | stale: sockets / bot | commands answered / sent | audit missing / duplicate | answers by status | forbidden | recovery | restart | RSS MB before→after |',
    '|---|---:|---:|---:|---:|---:|---|---|---:|---:|---|',
    ...result.rounds.map((r) => {
      const w = r.writes;
      const stale = `${r.sockets.stale + r.sockets.wrong} / ${r.bot.stale + r.bot.wrong}`;
      const recovery =
        r.recoveryMs === undefined ? `not reached (${r.notRecovered} behind)` : `${r.recoveryMs} ms`;
      const restart = r.fault.restartMs === undefined ? '–' : `${(r.fault.restartMs / 1000).toFixed(1)} s`;
      const forbidden = statusText(r.errorViolations) || 'none';
      return `| ${r.scenario} | ${w.acknowledged} / ${w.sent} | ${w.lost}${w.pruned ? ` (+${w.pruned} pruned)` : ''} | ${stale} | ${r.commands.answered} / ${r.commands.issued} | ${r.commands.missing} / ${r.commands.duplicate} | ${statusText(w.byStatus)} | ${forbidden} | ${recovery} | ${restart} | ${rssText(r)} |`;
    }),
  ];
}

/** The markdown section of docs/reliability.md. */
export function markdown(result: ChaosResult, m: MachineInfo, durationS: number): string {
  const s = result.settings;
  const lines = [
    `Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC in ${Math.round(durationS)} s: ${machineLine(m)}. Apps: ${result.runtime === 'dist' ? '`node dist/main.js`' : '`node --import tsx src/main.ts`'}, ${s.apiNodes} panel API nodes and the bot as separate processes; ${result.postgres}; a private redis-server.`,
    '',
    `Load in every round: ${s.writeRate} \`PATCH\`/s over ${s.guilds} guilds and both API nodes, ${s.commandRate} slash commands/s, ${s.guilds * 2} panel sockets; ${s.beforeS} s of load, the fault, ${s.afterS} s of load after it is cleared.`,
    '',
    ...roundsTable(result),
    '',
    'Answers to the writes by when they were sent:',
    '',
    '| scenario | before the fault | during the fault | after it was cleared |',
    '|---|---|---|---|',
    ...result.rounds.map((r) => {
      const p = r.writes.byPhase;
      return `| ${r.scenario} | ${statusText(p.before)} | ${statusText(p.during) || '–'} | ${statusText(p.after)} |`;
    }),
    '',
    '| scenario | fault | what it misses of the targets |',
    '|---|---|---|',
    ...result.rounds.map((r) => {
      const miss = misses(r);
      return `| ${r.scenario} | ${r.fault.detail} | ${miss.length ? `❌ ${miss.join('; ')}` : '✅ all met'} |`;
    }),
    ...result.failed.map((f) => `| ${f.scenario} | – | ❌ the round could not finish: ${f.error} |`),
  ];
  return lines.join('\n');
}

/** The scenario texts with the settings filled in. */
export function scenarioText(result: ChaosResult): Record<string, string> {
  const s = result.settings;
  return Object.fromEntries(
    Object.entries(SCENARIO_TEXT).map(([k, v]) => [
      k,
      v
        .replace('DOWN_S', `${s.downS} s`)
        .replace('PAUSE_S', `${s.pauseS} s`)
        .replace('PROXY_S', `${s.proxyS} s`)
        .replace('PROXY_DELAY_MS', `${s.proxyDelayMs} ms`),
    ]),
  );
}
