#!/usr/bin/env node
// Merges Stryker reports of parts of one module (runs narrowed with `--mutate <file>`, for instance
// one per source file while writing tests for it) into that module's incremental file, so that the
// next `npm run mutation -- <module>` re-tests only what changed since those runs.
//
//   node scripts/mutation_merge.mjs <module> <report.json>...
//
// Give the inputs oldest first. Every input must come from a run of the same module (same test
// files). The result is reports/mutation/<module>/incremental.json; an existing one is merged in
// first (later inputs win per source file; per mutant when the source is the same, so a run
// narrowed to a few lines of a file replaces only their results). Test ids are numbered per report, so they are matched
// by test file and name.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MUTATION_MODULES } from './mutation_modules.mjs';

const [name, ...inputs] = process.argv.slice(2);
if (!name || !MUTATION_MODULES[name] || inputs.length === 0) {
  console.error('usage: node scripts/mutation_merge.mjs <module> <report.json>...');
  process.exit(2);
}
const target = join('reports', 'mutation', name, 'incremental.json');
// Without an incremental file here (a fresh clone), the committed baseline is what the parts
// complete: merging them into nothing would leave a module of only their mutants.
const baseline = join('scripts', 'mutation_baseline', `${name}.json.gz`);
const first = existsSync(target)
  ? [{ file: target, report: JSON.parse(readFileSync(target, 'utf8')) }]
  : existsSync(baseline)
    ? [{ file: baseline, report: JSON.parse(gunzipSync(readFileSync(baseline)).toString('utf8')) }]
    : [];
const reports = [
  ...first,
  ...inputs.map((file) => ({ file, report: JSON.parse(readFileSync(file, 'utf8')) })),
];

/** The merged report: the last input's metadata, its own test numbering. */
const merged = { ...reports.at(-1).report, files: {}, testFiles: {} };
const ids = new Map(); // `${testFile}\0${name}` → merged id
const testKey = (path, test) => `${path}\0${test.name}`;
/** What makes a mutant of one source the same mutant: place, mutator and replacement. */
const mutantKey = (m) => `${JSON.stringify(m.location)}\0${m.mutatorName}\0${m.replacement}`;

for (const { report } of reports) {
  // This report's test id → merged id.
  const remap = new Map();
  for (const [path, testFile] of Object.entries(report.testFiles ?? {})) {
    // The oldest version of a test file is kept. A test added since then (first seen in a later
    // report) then looks new or changed to Stryker, so every mutant it covers or killed is run
    // again: the merge can only cost re-runs, never keep a result the current tests would change.
    merged.testFiles[path] ??= { source: testFile.source, tests: [] };
    const into = merged.testFiles[path];
    for (const test of testFile.tests) {
      const key = testKey(path, test);
      if (!ids.has(key)) {
        ids.set(key, String(ids.size));
        into.tests.push({ ...test, id: ids.get(key) });
      }
      remap.set(test.id, ids.get(key));
    }
  }
  // Ids of no listed test (the failed load of a test file, see mutation_load_failures.ts) stay as they are.
  const mapIds = (list) => list?.map((id) => remap.get(id) ?? id);
  for (const [path, file] of Object.entries(report.files ?? {})) {
    const mutants = file.mutants.map((m) => ({
      ...m,
      ...(m.coveredBy ? { coveredBy: mapIds(m.coveredBy) } : {}),
      ...(m.killedBy ? { killedBy: mapIds(m.killedBy) } : {}),
    }));
    // A run narrowed to part of a file (`--mutate file:line:col-line:col`) holds only some of its
    // mutants: with the same source, the file's other results are kept, not dropped.
    const earlier = merged.files[path];
    const replaced = new Set(mutants.map(mutantKey));
    const kept =
      earlier && earlier.source === file.source
        ? earlier.mutants.filter((m) => !replaced.has(mutantKey(m)))
        : [];
    merged.files[path] = { ...file, mutants: [...kept, ...mutants] };
  }
}

mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, JSON.stringify(merged));
const mutants = Object.values(merged.files).reduce((n, f) => n + f.mutants.length, 0);
console.log(
  `${target}: ${Object.keys(merged.files).length} source file(s), ${mutants} mutant(s), ${ids.size} test(s) from ${reports.length} report(s)`,
);
