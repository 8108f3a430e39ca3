/**
 * What the two system benchmarks report alike: the stamp of a run in their `history`, the load
 * averages of the rounds, the line that says what the numbers were measured on, and the publication
 * of the results (JSON, chart, docs/benchmarks.md section).
 */
import {
  codeVersion,
  type MachineInfo,
  machineLine,
  median,
  round,
  writeRepoFile,
  writeReport,
} from '@wolaro/test-harness/report';
import type { BenchSystem } from './system.js';

type LoadTriple = [number, number, number];

/** A round with the 1/5/15-minute load averages before and after it. */
export interface LoadedRound {
  loadBefore: LoadTriple;
  loadAfter: LoadTriple;
}

/** What every `history` entry holds: which settings, which code, when, how the apps ran, the load. */
export interface RunStamp {
  config: string;
  /** `codeVersion()` of the run. */
  code?: string;
  date: string;
  apps: string;
  load1: number;
}

/** The 1-minute load averages before and after each round. */
export function roundLoads(rounds: readonly LoadedRound[]): number[] {
  return rounds.flatMap((r) => [r.loadBefore[0], r.loadAfter[0]]);
}

/** This run's stamp: settings key, code version, date, app runtime, median 1-minute load. */
export function stamp(config: string, m: MachineInfo, sys: BenchSystem, rounds: readonly LoadedRound[]) {
  const stamp: RunStamp = {
    config,
    code: codeVersion(),
    date: m.date,
    apps: sys.runtime,
    load1: round(median(roundLoads(rounds)), 2),
  };
  return stamp;
}

/** The `loadAverage` of a results file. */
export function loadAverages(atStart: LoadTriple, rounds: readonly LoadedRound[]) {
  return { atStart, rounds: rounds.map((r) => ({ before: r.loadBefore, after: r.loadAfter })) };
}

/** The report's first paragraph: the machine, how the apps ran, Postgres, the load during the run. */
export function setupLine(
  m: MachineInfo,
  sys: BenchSystem,
  rounds: readonly LoadedRound[],
  loadAtStart: LoadTriple,
): string {
  const loads = roundLoads(rounds);
  const apps =
    sys.runtime === 'dist' ? '`node dist/main.js` (the built JS)' : '`node --import tsx src/main.ts`';
  return `${machineLine(m)}. Apps: ${apps}, panel API and bot as separate processes; ${sys.postgres}, Redis, all on loopback. Load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the run (start: ${loadAtStart.join(' / ')}): the machine is shared, numbers are medians of ${rounds.length} rounds.`;
}

/** Prints the markdown, writes the chart, bench/results/NAME.json and the docs/benchmarks.md section. */
export function publish(
  name: string,
  report: { markdown: string; chartPath: string; chart: string; results: Record<string, unknown> },
): void {
  console.log(`\n${report.markdown}\n`);
  writeRepoFile(report.chartPath, report.chart);
  writeReport(name, report.results, report.markdown);
  console.log(`wrote bench/results/${name}.json, docs/benchmarks.md (bench:${name}), ${report.chartPath}`);
}

/** Runs a benchmark's `main` and exits 0, or prints the error and exits 1. */
export function main(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
