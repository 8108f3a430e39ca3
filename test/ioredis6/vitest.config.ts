import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// The ioredis 6 leg of the matrix: the same SDK suites with every `import ... from 'ioredis'`
// (the SDK's and the tests') resolved to ioredis 6 (installed under the alias `ioredis6`).
const ioredis6 = fileURLToPath(new URL('../../node_modules/ioredis6/built/index.js', import.meta.url));

const config = mergeConfig(
  base,
  defineConfig({
    resolve: { alias: [{ find: /^ioredis$/, replacement: ioredis6 }] },
    test: {
      include: [] as string[],
      typecheck: { enabled: false },
      reporters: ['default'],
    },
  }),
);
// mergeConfig concatenates arrays: set the file list and reporters outright.
config.test = {
  ...config.test,
  reporters: ['default'],
  include: [
    'packages/wolaro-sync/test/transports.test.ts',
    'packages/wolaro-sync/test/sync_client.test.ts',
    'packages/wolaro-sync/test/options.test.ts',
    'packages/wolaro-sync/test/cache/fallback.test.ts',
    'test/ioredis6/version_check.ts',
  ],
};

export default config;
