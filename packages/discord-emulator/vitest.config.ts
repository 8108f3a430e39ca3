import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Standalone config for this package (no Redis/Postgres global setup needed):
//   npx vitest run packages/discord-emulator --config packages/discord-emulator/vitest.config.ts
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      {
        find: /^@wolaro\/discord-emulator$/,
        replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
