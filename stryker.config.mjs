// StrykerJS configuration: mutation testing of the critical modules (see docs/testing.md).
// Run it through `npm run mutation` (scripts/mutation.mjs), which picks the module(s) with
// MUTATION_MODULE and keeps one incremental file per module.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MUTATION_MODULES } from './scripts/mutation_modules.mjs';

const name = process.env.MUTATION_MODULE ?? 'channels';
const module = MUTATION_MODULES[name];
if (!module) {
  throw new Error(`MUTATION_MODULE=${name}: unknown; one of ${Object.keys(MUTATION_MODULES).join(', ')}`);
}
// MUTATION_PART: a run narrowed with --mutate keeps its files apart (merge them with
// scripts/mutation_merge.mjs), so the module's own report and incremental file stay whole.
const part = process.env.MUTATION_PART;
if (part !== undefined && !/^[\w-]+$/.test(part))
  throw new Error(`MUTATION_PART=${part}: use letters, digits, _ and -`);
const label = part ? join(name, 'parts', part) : name;
const reports = join('reports', 'mutation', label);
const html = join(process.env.MUTATION_HTML_DIR ?? join(tmpdir(), 'wolaro-mutation'), label, 'index.html');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: module.mutate,
  // Shared 2-core machine: one or two test processes at a time.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  incremental: true,
  incrementalFile: join(reports, 'incremental.json'),
  // Static mutants (code run when a module loads: schemas, frozen tables, constants) are run with
  // the mutant active before the module loads, which reloads the test environment and runs every
  // test of the module. Ignoring them would also leave "hybrid" mutants (code run at load time AND
  // by tests, such as a function created in a module-level object) activated only at test time,
  // after the module was built unmutated: they would survive whatever the tests assert.
  ignoreStatic: module.ignoreStatic ?? false,
  // Real Redis/Postgres under load: give a slow mutant room before calling it a timeout.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: html },
  jsonReporter: { fileName: join(reports, 'mutation.json') },
  // One sandbox folder per module, so two modules can run at once; neither copies the other's.
  tempDirName: join('.stryker-tmp', part ? `${name}-${part}` : name),
  cleanTempDir: 'always',
  // biome.json stays out: a sandbox inside the tree with its own root config breaks `biome check .`.
  ignorePatterns: [
    '/.stryker-tmp',
    'reports',
    '/scripts/mutation_baseline',
    'docs',
    'bench/results',
    '.wolaro',
    'coverage',
    'dist',
    '/biome.json',
  ],
  // MUTATION_BREAK (the --ci mode of scripts/mutation.mjs): exit non-zero under this score.
  thresholds: {
    high: 95,
    low: 90,
    break: process.env.MUTATION_BREAK ? Number(process.env.MUTATION_BREAK) : (module.break ?? null),
  },
};
