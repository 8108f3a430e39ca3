#!/usr/bin/env node
// Runs every test file by itself (one `vitest run <file>` each) and reports the files that fail
// alone: a test must not depend on another file, or on another test of its file having run first.
//
//   node scripts/check-isolation.mjs                 # every test file
//   node scripts/check-isolation.mjs packages/wolaro-sync/test/chaos.test.ts ...
//   ISOLATION_SKIP=browser node scripts/check-isolation.mjs   # leave out paths containing "browser"
//
// Serial on purpose (the suite shares Redis, Postgres and CPU). Exit status 1 when a file fails.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage', 'reports', '.stryker-tmp']);

function findTests(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, out);
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const roots = ['packages', 'examples', 'test'].map((d) => join(root, d));
const skip = process.env.ISOLATION_SKIP;
const files = (
  process.argv.length > 2 ? process.argv.slice(2) : roots.flatMap((d) => findTests(d)).sort()
).filter((f) => !skip || !f.includes(skip));

const failed = [];
const started = Date.now();
for (const [i, file] of files.entries()) {
  const t0 = Date.now();
  // No JSON report here: the file run alone must not overwrite the suite's report.
  const r = spawnSync('npx', ['vitest', 'run', '--reporter=dot', file], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const ok = r.status === 0;
  console.log(`[${i + 1}/${files.length}] ${ok ? 'ok  ' : 'FAIL'} ${file} (${secs} s)`);
  if (!ok) {
    failed.push(file);
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    console.log(tail);
  }
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  `\n${files.length - failed.length}/${files.length} test files pass when run alone (${minutes} min)`,
);
if (failed.length > 0) {
  console.log(`Failing alone:\n${failed.map((f) => `  ${f}`).join('\n')}`);
  process.exit(1);
}
