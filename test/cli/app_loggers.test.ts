import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs `createLogger('info').info(…)` from `module` in a child whose stdout is a file, kills the
 * child with SIGKILL right after the call, and returns what reached the file. The child's only
 * libuv pool thread is kept busy meanwhile, so a logger that hands its writes to the pool (pino's
 * asynchronous default) has written nothing when the process dies.
 */
function lineBeforeKill(module: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'wolaro-logger-'));
  const out = join(dir, 'stdout.log');
  const script = join(dir, 'log.ts');
  writeFileSync(
    script,
    `import { pbkdf2 } from 'node:crypto';
import { createLogger } from ${JSON.stringify(join(root, module))};
pbkdf2('busy', 'pool', 10_000_000, 32, 'sha256', () => {});
createLogger('info').info({ guildId: '1' }, 'Config update received for guild 1');
process.kill(process.pid, 'SIGKILL');
`,
  );
  const fd = openSync(out, 'w');
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
      stdio: ['ignore', fd, 'pipe'],
      timeout: 30_000,
    });
    expect(child.signal, child.stderr.toString()).toBe('SIGKILL');
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the apps' process loggers", () => {
  it.each([
    ['bot', 'examples/bot/src/logger.ts'],
    ['panel-api', 'examples/panel-api/src/logger.ts'],
  ])('%s: a line is on stdout when the call returns, so a killed process loses none', (app, module) => {
    expect(lineBeforeKill(module)).toMatchObject({
      level: 30,
      app,
      guildId: '1',
      msg: 'Config update received for guild 1',
    });
  });
});
