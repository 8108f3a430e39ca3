#!/usr/bin/env node
// `npm run docs:screenshots`: refreshes the panel pictures of the README and the quickstart
// (docs/img/panel-*.png). The browser test takes them while it drives the demo; in `npm test` they go
// to a temporary folder, here to docs/img. Needs the same as `npm test`: Chromium at /usr/bin/chromium
// (or CHROMIUM_PATH), Redis and PostgreSQL on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = spawnSync('npx', ['vitest', 'run', 'test/browser/panel.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, WOLARO_SCREENSHOT_DIR: join(root, 'docs/img') },
});
if (result.status === 0)
  console.log('docs/img/panel-settings.png and docs/img/panel-live-log.png refreshed.');
process.exit(result.status ?? 1);
