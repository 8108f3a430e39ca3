/**
 * `npm run chaos`: the whole system under load while its parts are killed, frozen and cut off, one
 * scenario per round; prints a table and writes bench/results/chaos.json and the results section
 * of docs/reliability.md. Settings: see settings.ts (e.g. SCENARIOS=redis-kill,bot-kill GUILDS=10).
 */
import { performance } from 'node:perf_hooks';
import { codeVersion, machine, writeReport } from '@wolaro/test-harness/report';
import { main as runMain } from '../run_report.js';
import { markdown, misses, scenarioText } from './report.js';
import { runChaos } from './run.js';
import { fullSettings, SCENARIOS } from './settings.js';

async function main(): Promise<void> {
  const settings = fullSettings();
  const t0 = performance.now();
  console.log(`chaos — ${settings.scenarios.length} rounds: ${settings.scenarios.join(', ')}`);
  const result = await runChaos(settings, { label: 'chaos', log: (line) => console.log(line) });
  const durationS = (performance.now() - t0) / 1000;
  const m = machine();
  const md = markdown(result, m, durationS);
  console.log(`\n${md}\n`);
  const results = {
    machine: m,
    code: codeVersion(),
    durationS: Math.round(durationS),
    ...result,
    scenarios: scenarioText(result),
    misses: Object.fromEntries(result.rounds.map((r) => [r.scenario, misses(r)])),
  };
  // A partial run (SCENARIOS=...) is printed only: the results file and the doc show complete runs.
  if (!SCENARIOS.every((s) => settings.scenarios.includes(s))) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  writeReport('chaos', results, md, 'docs/reliability.md');
  console.log('wrote bench/results/chaos.json and the results section of docs/reliability.md');
}

runMain(main);
