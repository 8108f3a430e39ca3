/**
 * bench:scale — the scaled-out system on one machine: a Redis Cluster of 3 masters and 3 replicas
 * (private `redis-server` processes), 3 panel API nodes (sharded Socket.io adapter), the bot as 2
 * shard processes on the Discord emulator, 1,000 guilds spread over both shards, 1,000 panel
 * sockets spread over the API nodes, and an open loop of 500 PATCH/s spread over the nodes. Halfway
 * through, the master that carries the bus is SIGKILLed and its replica promoted.
 *
 * Reports PATCH → socket and PATCH → bot latency, exactly-once delivery per socket, lost
 * acknowledged writes, duplicates and recovery after the kill, and per-unit costs measured in the
 * same run (CPU per update per process, memory per socket and per cached guild, Redis commands per
 * update) beside a raw SPUBLISH → SSUBSCRIBE floor on the same cluster.
 *
 *   npm run bench:scale
 *   npm run bench:scale -- --guilds 200 --sockets 200 --rate 100 --seconds 10
 *
 * Flags (or env): --guilds (GUILDS) --sockets --rate --seconds --warmup --api-nodes --shards
 * --kill-at (fraction of the run, 0 = no kill) --floor --drain-ms --timeout-ms, --publish/--no-publish.
 * A run with every default writes bench/results/scale.json and the `bench:scale` section of
 * docs/benchmarks.md.
 */
import * as stats from '@wolaro/test-harness/report';
import * as run from '../run_report.js';
import { scaleMarkdown } from './report.js';
import { runScale } from './run.js';
import { scaleSettings } from './settings.js';

async function main(): Promise<void> {
  const s = scaleSettings(process.argv.slice(2), process.env);
  console.log(`bench:scale — ${JSON.stringify(s)}`);
  // SCALE_LOG=<file>: every line of the apps into that file, stamped (for a post-mortem).
  const logFile = process.env['SCALE_LOG'];
  const results = await runScale(s, logFile ? { logFile } : {});
  console.log(JSON.stringify({ ...results, machine: undefined }, null, 1));
  const markdown = scaleMarkdown(results);
  console.log(`\n${markdown}\n`);
  if (s.publish) {
    stats.writeReport(s.section, results, markdown);
    console.log(
      `wrote bench/results/${s.section}.json and the bench:${s.section} section of docs/benchmarks.md`,
    );
  }
  const lost = results.steady.lost + (results.afterKill?.lost ?? 0);
  if (lost > 0 || !results.drained) {
    throw new Error(
      `${lost} acknowledged writes lost; every consumer current at the end: ${results.drained}`,
    );
  }
}

run.main(main);
