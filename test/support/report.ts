/**
 * `@wolaro/test-harness/report`: numbers and reports of every benchmark (the system benches in
 * bench/, and the package benches in packages/<name>/bench/): percentiles, the machine line, the load
 * average, the run history, and `writeReport`: JSON under bench/results/ (the one results folder) and
 * the bench's `<!-- bench:NAME:start -->…<!-- bench:NAME:end -->` section of docs/benchmarks.md,
 * replaced in place.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './system/processes.js';

export { ROOT };
/** bench/ */
export const BENCH_DIR = join(ROOT, 'bench');
/** bench/results/: the JSON results of every benchmark. */
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/**
 * Numeric settings of a benchmark: each key of `defaults` read from the environment variable of that
 * name when it is set, else its default.
 *
 * @example
 * ```ts
 * const { RATE, ROUNDS } = numbersFromEnv({ RATE: 500, ROUNDS: 3 }); // RATE=100 npm run bench:load
 * ```
 */
export function numbersFromEnv<T extends Record<string, number>>(defaults: T): T {
  return Object.fromEntries(
    Object.entries(defaults).map(([name, value]) => [name, Number(process.env[name] ?? value)]),
  ) as T;
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** A sorted copy of `values` (ascending), for {@link percentile}. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Median of numbers (any order). */
export function median(values: readonly number[]): number {
  return percentile(sorted(values), 50);
}

/**
 * The median of each of `keys` over `rows` (e.g. over the recent runs of a bench).
 *
 * @example
 * ```ts
 * const acrossRuns = mediansOf(runs, ['p50', 'p99']); // { p50: …, p99: … }
 * ```
 */
export function mediansOf<E, K extends keyof E>(rows: readonly E[], keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => Number(r[k])))])) as Record<K, number>;
}

/** p50/p95/p99/max (and the count) of a sample, in the sample's unit. */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summarizes a sample (any order). */
export function summarize(values: readonly number[]): Summary {
  const ordered = sorted(values);
  const sum = ordered.reduce((a, b) => a + b, 0);
  return {
    n: ordered.length,
    p50: percentile(ordered, 50),
    p95: percentile(ordered, 95),
    p99: percentile(ordered, 99),
    max: ordered.length > 0 ? (ordered[ordered.length - 1] as number) : Number.NaN,
    mean: ordered.length > 0 ? sum / ordered.length : Number.NaN,
  };
}

/** The median, field by field, of several summaries (one per round). */
export function medianSummary(rounds: readonly Summary[]): Summary {
  const pick = (k: keyof Summary) => median(rounds.map((r) => r[k]));
  return {
    n: pick('n'),
    p50: pick('p50'),
    p95: pick('p95'),
    p99: pick('p99'),
    max: pick('max'),
    mean: pick('mean'),
  };
}

/**
 * Counts per latency bucket as `[lower bound in ms, count]` pairs in ascending order (0.25 ms wide
 * below 10 ms, 1 ms wide to 100 ms, then 10 ms wide to 1 s, then one bucket), to spot clusters (e.g.
 * the 40 ms of Nagle + delayed ACK, or a retry timer) in the JSON results.
 */
export function histogram(values: readonly number[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const v of values) {
    const lower =
      v < 10 ? Math.floor(v * 4) / 4 : v < 100 ? Math.floor(v) : v < 1000 ? Math.floor(v / 10) * 10 : 1000;
    counts.set(lower, (counts.get(lower) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

/** What the numbers were measured on. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  date: string;
}

/** The machine this process runs on, and now. */
export function machine(): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** One line describing the machine, for the markdown. */
export function machineLine(m: MachineInfo): string {
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}, ${m.date.slice(0, 10)}`;
}

/** The 1/5/15-minute load averages, rounded. */
export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [round(a, 2), round(b, 2), round(c, 2)];
}

/** `value` rounded to `digits` decimals (for results files). */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `1.234 ms` style cell. */
export function ms(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '—';
  return `${value.toFixed(digits)} ms`;
}

/** The previous bench/results/NAME.json, if any (to keep a short history of runs). */
export function readPrevious(name: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Which code a run measured: the git tree ids of packages/, examples/ and bench/src/ at HEAD
 * (so committing results does not change it), with `+dirty` when those directories have
 * uncommitted changes; `unknown` outside a git checkout.
 */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const trees = ['packages', 'examples', 'bench/src'].map((dir) =>
      git('rev-parse', `HEAD:${dir}`).slice(0, 7),
    );
    const dirty = git('status', '--porcelain', '--', 'packages', 'examples', 'bench/src') !== '';
    return `${trees.join('.')}${dirty ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

/**
 * The last runs of a bench with the same configuration and the same code: the previous results
 * file's `history`, then this run; at most `max`. Runs of other code are dropped: targets are judged
 * on the code measured.
 *
 * @example
 * ```ts
 * const runs = history('e2e', { config: 'n=2000', code: codeVersion(), p50: 2.1 });
 * const p50 = median(runs.map((r) => r.p50));
 * ```
 */
export function history<E extends { config: string; code?: string }>(name: string, current: E, max = 5): E[] {
  const previous = readPrevious(name);
  const past = previous && Array.isArray(previous['history']) ? (previous['history'] as E[]) : [];
  return [...past.filter((e) => e.config === current.config && e.code === current.code), current].slice(-max);
}

/**
 * Replaces the `<!-- bench:NAME:start/end -->` section of a doc (default docs/benchmarks.md;
 * appends it the first time).
 */
export function writeDocSection(name: string, markdown: string, docPath = 'docs/benchmarks.md'): void {
  const doc = join(ROOT, docPath);
  let text: string;
  try {
    text = readFileSync(doc, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  // A function replacement: the markdown may contain `$` sequences.
  text = re.test(text) ? text.replace(re, () => section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(doc, text);
}

/** Writes the results file alone: bench/results/NAME.json. */
export function writeResults(name: string, results: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

/** Writes bench/results/NAME.json and replaces this bench's section of docs/benchmarks.md (or `docPath`). */
export function writeReport(name: string, results: unknown, markdown: string, docPath?: string): void {
  writeResults(name, results);
  writeDocSection(name, markdown, docPath);
}

/** Writes a file under the repository (e.g. docs/img/…svg), creating its directory. */
export function writeRepoFile(relativePath: string, content: string): void {
  const path = join(ROOT, relativePath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
