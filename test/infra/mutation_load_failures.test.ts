import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { File, Test } from '@vitest/runner';
import { afterEach, describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';
import LoadFailuresAsFailedTests, { markLoadFailures } from '../../scripts/mutation_load_failures.js';

// Stryker's own code that turns a vitest run into test results (not exported by the package).
interface StrykerHelpers {
  collectTestsFromSuite(suite: File): Test[];
  convertTestToTestResult(test: Test): { name: string; status: number; failureMessage?: string };
}
async function strykerHelpers(): Promise<StrykerHelpers> {
  const pkg = createRequire(import.meta.url).resolve('@stryker-mutator/vitest-runner/package.json');
  return import(pathToFileURL(join(dirname(pkg), 'dist/src/vitest-helpers.js')).href);
}
const FAILED = 1; // TestStatus.Failed in @stryker-mutator/api

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs vitest on `files` (name → source) in a temporary folder, with or without the reporter. */
async function runFiles(files: Record<string, string>, withReporter: boolean): Promise<File[]> {
  const dir = await mkdtemp(join(tmpdir(), 'wolaro-load-failures-'));
  dirs.push(dir);
  for (const [name, source] of Object.entries(files)) await writeFile(join(dir, name), source);
  const vitest = await createVitest(
    'test',
    {
      root: dir,
      watch: false,
      reporters: withReporter ? [new LoadFailuresAsFailedTests()] : [],
      config: false,
      include: ['*.test.mjs'],
    },
    {},
    // The inner run's own report ("FAIL broken.test.mjs") is expected: keep it out of this run's output.
    { stdout: quiet(), stderr: quiet() },
  );
  try {
    await vitest.start();
    return vitest.state.getFiles();
  } finally {
    await vitest.close();
  }
}

const quiet = () => new Writable({ write: (_chunk, _enc, done) => done() });

const FILES = {
  'broken.test.mjs': `import { it } from 'vitest';\nthrow new Error('boom while loading');\nit('never collected', () => {});\n`,
  'fine.test.mjs': `import { expect, it } from 'vitest';\nit('passes', () => expect(1).toBe(1));\n`,
};

describe('the mutation runs reporter for test files that fail to load', () => {
  it('without it, Stryker sees no failed test for a file that throws while loading', async () => {
    const { collectTestsFromSuite, convertTestToTestResult } = await strykerHelpers();
    const files = await runFiles(FILES, false);
    const broken = files.find((f) => f.name.endsWith('broken.test.mjs'));
    expect(broken?.result?.state).toBe('fail');
    const results = files.flatMap(collectTestsFromSuite).map(convertTestToTestResult);
    expect(results.map((r) => r.name)).toEqual(['passes']);
    expect(results.some((r) => r.status === FAILED)).toBe(false);
  });

  it('with it, that file is one failed test carrying the load error, and a file that loaded is unchanged', async () => {
    const { collectTestsFromSuite, convertTestToTestResult } = await strykerHelpers();
    const files = await runFiles(FILES, true);
    const results = files.flatMap(collectTestsFromSuite).map(convertTestToTestResult);
    const failed = results.filter((r) => r.status === FAILED);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.name).toBe('broken.test.mjs (the test file failed to load)');
    expect(failed[0]?.failureMessage).toContain('boom while loading');
    expect(results.filter((r) => r.status !== FAILED).map((r) => r.name)).toEqual(['passes']);
  });

  it('leaves a failed file alone when it collected tests (their failures already count)', () => {
    const test = { type: 'test', name: 't', result: { state: 'fail' } } as unknown as Test;
    const suite = (id: string, state: 'pass' | 'fail', tasks: Test[]) =>
      ({ id, name: id, type: 'suite', result: { state }, tasks }) as unknown as File;
    const file = suite('f', 'fail', [test]);
    const passed = suite('p', 'pass', []);
    const empty = suite('e', 'fail', []);
    expect(markLoadFailures([file, passed, empty])).toBe(1);
    expect(file.tasks).toEqual([test]);
    expect(passed.tasks).toEqual([]);
    expect(empty.tasks.map((t) => t.name)).toEqual(['(the test file failed to load)']);
    expect((empty.tasks[0] as Test).result?.errors?.[0]?.message).toBe('the test file failed to load');
  });
});
