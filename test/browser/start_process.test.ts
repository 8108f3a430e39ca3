/**
 * `npm start` as a process manager and a user at a second terminal meet it: a signal to npm's pid
 * stops everything and frees the ports, a second start on the same data directory is refused with
 * one line, and `npm run token -w examples/panel-api` prints a JWT the running demo accepts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { processAlive } from '@wolaro/test-harness';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDataDir, json, ROOT, runStackToExit, type Stack, startStack } from './stack.js';

const running = new Set<Stack>();
const cleanups: (() => void)[] = [];

afterAll(async () => {
  for (const stack of running) await stack.stop(5000);
  for (const cleanup of cleanups) cleanup();
});

/** `npm start` (not `node scripts/start.mjs`) on a fresh data dir and random ports. */
async function startViaNpm(
  before: (dataDir: string) => void = () => {},
): Promise<{ stack: Stack; dataDir: string; pid: number }> {
  const data = freshDataDir();
  cleanups.push(data.remove);
  before(data.dataDir);
  const stack = await startStack(data.dataDir, {}, 'npm');
  running.add(stack);
  // scripts/start.mjs keeps its pid beside the data dir while it runs
  const pid = Number(readFileSync(`${data.dataDir}.pid`, 'utf8').trim());
  expect(pid).toBeGreaterThan(0);
  return { stack, dataDir: data.dataDir, pid };
}

/** Whether `port` on 127.0.0.1 can be listened on again. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Runs `npm run -s token -w examples/panel-api -- <args>` from the repository root, as a user would. */
function tokenCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'token', '-w', 'examples/panel-api', '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start as a process', () => {
  it('the token CLI, a second start on the same data dir, then SIGTERM to npm', async () => {
    const { stack, dataDir, pid } = await startViaNpm();

    // The token command, run from the repository root with the data dir as a relative path (npm
    // runs the script from examples/panel-api: the path must still mean the demo's directory).
    const cli = await tokenCli(['100000000000000002', '--ttl', '1h'], {
      PGLITE_DATA_DIR: relative(ROOT, dataDir),
    });
    expect(cli.code, cli.stderr).toBe(0);
    const token = cli.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const me = await json<{ user: { id: string } }>(`${stack.origin}/api/auth/me`, { token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe('100000000000000002');
    expect(existsSync(`${ROOT}examples/panel-api/.wolaro`)).toBe(false);

    // A second start on the same data dir: one line naming the directory and the first pid.
    const second = await runStackToExit(
      { PORT: '0', EMULATOR_PORT: '0', PGLITE_DATA_DIR: dataDir },
      120_000,
      'npm',
    );
    expect(second.code).toBe(1);
    const lines = second.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines, second.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`data directory ${dataDir} is in use by pid ${pid}`);
    expect(second.stdout).not.toContain('Starting the');
    // … and the first one still serves
    expect((await json(`${stack.origin}/api/health`)).status).toBe(200);

    const ports = [Number(new URL(stack.origin).port), Number(new URL(stack.emulatorUrl).port)];
    const exit = await stack.stop(5000, 'SIGTERM'); // SIGKILL (code null) if it took longer
    running.delete(stack);
    expect(exit, stack.output()).toEqual({ code: 0, signal: null });
    expect(processAlive(pid)).toBe(false);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
    expect(existsSync(`${dataDir}.pid`)).toBe(false);
  }, 300_000);

  it('SIGINT to npm stops everything and frees the ports (after starting over a stale pid file)', async () => {
    // the pid file of a run that was killed: a pid that no longer runs
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']);
    const deadPid = Number(dead.stdout.toString().trim());
    expect(processAlive(deadPid)).toBe(false);
    const { stack, dataDir, pid } = await startViaNpm((dir) => writeFileSync(`${dir}.pid`, `${deadPid}\n`));
    expect(pid).not.toBe(deadPid);
    const ports = [Number(new URL(stack.origin).port), Number(new URL(stack.emulatorUrl).port)];
    const exit = await stack.stop(5000, 'SIGINT');
    running.delete(stack);
    expect(exit, stack.output()).toEqual({ code: 0, signal: null });
    expect(stack.output()).toMatch(/Stopped\.\s*$/);
    expect(processAlive(pid)).toBe(false);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
    expect(existsSync(`${dataDir}.pid`)).toBe(false);
  }, 300_000);

  it('DATABASE_URL=notaurl: one line, before the emulator starts', async () => {
    const data = freshDataDir();
    cleanups.push(data.remove);
    const exit = await runStackToExit({
      PORT: '0',
      EMULATOR_PORT: '0',
      PGLITE_DATA_DIR: data.dataDir,
      DATABASE_URL: 'notaurl',
    });
    // DATABASE_URL is checked before anything starts: one line, no emulator
    expect(exit.code).toBe(1);
    expect(exit.stderr.trim().split('\n')).toEqual([
      '✗ DATABASE_URL: must be a postgres:// or postgresql:// connection string',
    ]);
    expect(exit.stdout).not.toContain('emulator');
  }, 120_000);
});
