#!/usr/bin/env node
// Mutation testing of the critical modules with StrykerJS (stryker.config.mjs).
//
//   npm run mutation                      # every module, smallest first, incremental
//   npm run mutation -- channels cache    # some modules
//   npm run mutation -- --full channels   # ignore the incremental file (a full re-run)
//   npm run mutation -- --list            # the module names
//   npm run mutation -- --ci channels     # CI: from the baseline, fails under 90 %, writes nothing tracked
//   npm run mutation -- --publish outbox  # no run: the incremental file (parts merged into it) becomes
//                                         # the report, the baseline and the module's row
//
// Each module keeps its incremental file and JSON report in reports/mutation/<module>/ (gitignored);
// the HTML report is written to $MUTATION_HTML_DIR or <tmpdir>/wolaro-mutation/<module>/index.html.
// MUTATION_CONCURRENCY (default 1) sets the number of test processes. After the runs,
// scripts/mutation_summary.mjs writes the score table into docs/testing.md.
//
// A fresh clone has no incremental file: the last committed measurement of each module
// (scripts/mutation_baseline/<module>.json.gz) seeds it, so the first run there re-tests only what
// changed since. A successful run writes the baseline again (commit it with the table it produced).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MUTATION_MODULES } from './mutation_modules.mjs';

/**
 * An incremental file written with `ignoreStatic` on holds static mutants that were only activated
 * at test time, after their module had loaded unmutated: their "survived" says nothing. When the
 * module now runs static mutants, those results are dropped so that they are run again for real.
 */
function forgetStaticResults(name) {
  const file = incrementalFile(name);
  if (!existsSync(file) || MUTATION_MODULES[name].ignoreStatic) return;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  if (report.config?.ignoreStatic !== true) return;
  let dropped = 0;
  for (const entry of Object.values(report.files ?? {})) {
    const before = entry.mutants.length;
    entry.mutants = entry.mutants.filter((m) => !m.static || m.status === 'Killed' || m.status === 'Timeout');
    dropped += before - entry.mutants.length;
  }
  report.config.ignoreStatic = false;
  writeFileSync(file, JSON.stringify(report));
  console.log(
    `${name}: ${dropped} static mutant result(s) from an ignoreStatic run dropped, to be run again`,
  );
}

const BASELINE_DIR = join('scripts', 'mutation_baseline');
const incrementalFile = (name) => join('reports', 'mutation', name, 'incremental.json');
const baselineFile = (name) => join(BASELINE_DIR, `${name}.json.gz`);

/** Seeds a missing incremental file from the committed baseline; returns whether it did. */
function seedFromBaseline(name) {
  const file = incrementalFile(name);
  if (existsSync(file) || !existsSync(baselineFile(name))) return false;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, gunzipSync(readFileSync(baselineFile(name))));
  console.log(`${name}: no incremental file here; seeded from ${baselineFile(name)}`);
  return true;
}

/** Writes the module's incremental file (the full result of its last run) as its baseline. */
function saveBaseline(name) {
  const file = incrementalFile(name);
  if (!existsSync(file)) return;
  mkdirSync(BASELINE_DIR, { recursive: true });
  // Level 9 and no timestamp in the gzip header: the same result gives the same bytes.
  writeFileSync(baselineFile(name), gzipSync(readFileSync(file), { level: 9 }));
  console.log(`${name}: baseline written to ${baselineFile(name)}`);
}

// Smallest first: a quick signal before the long runs.
const ORDER = [
  'channels',
  'socketio-auth',
  'panel-auth',
  'panel-access',
  'transports',
  'panel-writes',
  'socketio-gateway',
  'outbox',
  'cache',
];

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const name of ORDER) console.log(`${name.padEnd(18)} ${MUTATION_MODULES[name]?.title}`);
  process.exit(0);
}
const full = args.includes('--full');
// --publish: after parts were merged into a module's incremental file (scripts/mutation_merge.mjs),
// its results are the module's measurement: written as its JSON report and baseline, and summed up,
// without running Stryker again. Only sound when every result in it is current (the merged parts
// covered what changed since the module's last run).
if (args.includes('--publish')) {
  for (const name of args.filter((a) => !a.startsWith('--'))) {
    const file = incrementalFile(name);
    if (!MUTATION_MODULES[name] || !existsSync(file)) {
      console.error(`--publish ${name}: no module of that name, or no ${file}`);
      process.exit(2);
    }
    writeFileSync(join(dirname(file), 'mutation.json'), readFileSync(file));
    saveBaseline(name);
  }
  const summary = spawnSync('node', ['scripts/mutation_summary.mjs'], { stdio: 'inherit' });
  process.exit(summary.status ?? 1);
}
// --ci: the check of .ci/run. Starts from the committed baseline, fails under 90 %, and writes
// nothing tracked (neither the baseline nor the table in docs/testing.md).
const ci = args.includes('--ci');
const picked = args.filter((a) => !a.startsWith('--'));
for (const name of picked) {
  if (!MUTATION_MODULES[name]) {
    console.error(`Unknown module "${name}"; one of: ${ORDER.join(', ')}`);
    process.exit(2);
  }
}
const modules = picked.length > 0 ? picked : ORDER;

let failed = 0;
for (const name of modules) {
  console.log(`\n=== mutation: ${name} (${MUTATION_MODULES[name].title}) ===`);
  if (!full) {
    seedFromBaseline(name);
    forgetStaticResults(name);
  }
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...(full ? ['--force'] : [])], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_MODULE: name, ...(ci ? { MUTATION_BREAK: '90' } : {}) },
  });
  if (r.status !== 0) {
    failed++;
    console.error(`mutation run of ${name} failed (exit ${r.status})`);
  } else if (!ci) {
    saveBaseline(name);
  }
}
if (ci) process.exit(failed > 0 ? 1 : 0);
const summary = spawnSync('node', ['scripts/mutation_summary.mjs'], { stdio: 'inherit' });
process.exit(failed > 0 || summary.status !== 0 ? 1 : 0);
