#!/usr/bin/env node
// Mutation testing of the critical modules with StrykerJS (stryker.config.mjs).
//
//   npm run mutation                      # every module, smallest first, incremental
//   npm run mutation -- channels cache    # some modules
//   npm run mutation -- --full channels   # ignore the incremental file (a full re-run)
//   npm run mutation -- --list            # the module names
//
// Each module keeps its incremental file and JSON report in reports/mutation/<module>/ (gitignored);
// the HTML report is written to $MUTATION_HTML_DIR or <tmpdir>/wolaro-mutation/<module>/index.html.
// MUTATION_CONCURRENCY (default 1) sets the number of test processes. After the runs,
// scripts/mutation_summary.mjs writes the score table into docs/testing.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MUTATION_MODULES } from './mutation_modules.mjs';

/**
 * An incremental file written with `ignoreStatic` on holds static mutants that were only activated
 * at test time, after their module had loaded unmutated: their "survived" says nothing. When the
 * module now runs static mutants, those results are dropped so that they are run again for real.
 */
function forgetStaticResults(name) {
  const file = join('reports', 'mutation', name, 'incremental.json');
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
  if (!full) forgetStaticResults(name);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...(full ? ['--force'] : [])], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_MODULE: name },
  });
  if (r.status !== 0) {
    failed++;
    console.error(`mutation run of ${name} failed (exit ${r.status})`);
  }
}
const summary = spawnSync('node', ['scripts/mutation_summary.mjs'], { stdio: 'inherit' });
process.exit(failed > 0 || summary.status !== 0 ? 1 : 0);
