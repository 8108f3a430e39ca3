import { defineConfig } from 'vitest/config';
import LoadFailuresAsFailedTests from './scripts/mutation_load_failures.js';
import { MUTATION_MODULES } from './scripts/mutation_modules.mjs';
import base from './vitest.config.js';

// The vitest config of mutation runs (stryker.config.mjs): the suite's config without type tests and
// without the JSON report, limited to the test files of the module under test (MUTATION_MODULE).
// The system and browser tests drive separate processes, which never load the sandbox's mutated
// code, so they are never part of a mutation run.
const module = MUTATION_MODULES[process.env.MUTATION_MODULE ?? 'channels'];

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: module?.tests ?? [],
    typecheck: { enabled: false },
    // A test file that fails to load is a failed test, not an absent one (see the reporter).
    reporters: ['dot', new LoadFailuresAsFailedTests()],
    outputFile: {},
  },
});
