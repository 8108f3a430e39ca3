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
import { MUTATION_MODULES } from './mutation_modules.mjs';

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
