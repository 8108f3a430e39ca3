import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The vitest config of mutation runs (stryker.config.mjs): the suite's config without type tests and
// without the JSON report, and without the tests that drive separate processes (system, browser,
// spawned fixtures): a mutant lives only in the Stryker sandbox's own process, so those cannot see it.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    exclude: ['**/node_modules/**', 'test/browser/**', 'test/system/**', 'test/infra/**'],
    typecheck: { enabled: false },
    reporters: ['dot'],
    outputFile: {},
  },
});
