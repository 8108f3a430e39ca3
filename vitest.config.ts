import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests import the workspace packages from source, so a test run never sees a stale build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@wolaro\/sync\/pg$/, replacement: src('./packages/wolaro-sync/src/pg/index.ts') },
      { find: /^@wolaro\/sync\/discord$/, replacement: src('./packages/wolaro-sync/src/discord/index.ts') },
      { find: /^@wolaro\/sync$/, replacement: src('./packages/wolaro-sync/src/index.ts') },
      { find: /^@wolaro\/sync-socketio$/, replacement: src('./packages/wolaro-sync-socketio/src/index.ts') },
      { find: /^@wolaro\/discord-emulator$/, replacement: src('./packages/discord-emulator/src/index.ts') },
      { find: /^@wolaro\/db\/defaults$/, replacement: src('./examples/db/src/defaults.ts') },
      { find: /^@wolaro\/db$/, replacement: src('./examples/db/src/index.ts') },
      { find: /^@wolaro\/app-runtime$/, replacement: src('./examples/runtime/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    reporters: ['default', 'json'],
    outputFile: { json: './.vitest-report.json' },
  },
});
