import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Median of numbers. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** One line describing the machine, for every report. */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces the `<!-- bench:NAME:start/end -->` section of docs/benchmarks.md (appends it the first time). */
export function writeDocSection(name: string, markdown: string): void {
  const doc = join(repoRoot, 'docs', 'benchmarks.md');
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

/** Writes JSON results next to the bench and replaces this bench's section of docs/benchmarks.md. */
export function writeReport(name: string, results: unknown, markdown: string): void {
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeDocSection(name, markdown);
}
