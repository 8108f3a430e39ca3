// A vitest reporter for mutation runs only (vitest.stryker.config.ts): a test file that fails to load
// counts as one failed test.
//
// Why: Stryker's vitest runner (9.6) builds a mutant's result from the tests vitest collected. A
// mutant that makes a module throw while it loads (a static mutant such as a channel table or a
// schema built at import time) leaves every test file that imports it with no test at all, so no
// test failed and the mutant is reported "Survived" although the suite catches it: the file does
// not even load. Failures in hooks (`beforeAll`) are already handled by the runner; only the file
// with no test is missing. Here such a file gets one failed test carrying the load error, so the
// mutant is Killed, as it would be when the file is run by hand.
import type { File, Task, Test } from '@vitest/runner';
import type { Reporter, Vitest } from 'vitest/node';

/** Whether any test was collected under `task`. */
function hasTest(task: Task): boolean {
  return task.type === 'test' || (task.type === 'suite' && task.tasks.some(hasTest));
}

/** The failed test that stands for a file that did not load (its errors are the file's). */
export function loadFailureTest(file: File): Test {
  const errors = file.result?.errors ?? [];
  const test = {
    type: 'test',
    id: `${file.id}_load_failure`,
    name: '(the test file failed to load)',
    mode: 'run',
    file,
    suite: file,
    meta: {},
    annotations: [],
    artifacts: [],
    fullName: `${file.name} (the test file failed to load)`,
    fullTestName: '(the test file failed to load)',
    timeout: 0,
    context: undefined as unknown as Test['context'],
    result: {
      state: 'fail',
      errors: errors.length > 0 ? errors : [{ name: 'Error', message: 'the test file failed to load' }],
      duration: 0,
    },
  };
  return test as unknown as Test;
}

/** Adds a failed test to every file that failed without collecting any test. */
export function markLoadFailures(files: readonly File[]): number {
  let marked = 0;
  for (const file of files) {
    if (file.result?.state !== 'fail' || hasTest(file)) continue;
    file.tasks.push(loadFailureTest(file));
    marked++;
  }
  return marked;
}

/** The reporter: runs at the end of each vitest run, before Stryker reads the results from its state. */
export default class LoadFailuresAsFailedTests implements Reporter {
  #vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.#vitest = vitest;
  }

  onTestRunEnd(): void {
    if (this.#vitest) markLoadFailures(this.#vitest.state.getFiles());
  }
}
