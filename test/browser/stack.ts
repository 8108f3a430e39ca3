/**
 * Helpers for the end-to-end suites: run `npm start` (scripts/start.mjs) as a child process on
 * embedded defaults, log in through the real OAuth flow (over HTTP or in a browser). The Discord
 * emulator runs inside `npm start`: drive it with `httpControl(stack.emulatorUrl)` of the harness.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive, sleep } from '@wolaro/test-harness';
import type { Browser, BrowserContext, LaunchOptions, Page } from 'playwright-core';

/** The repository root, where `npm start` runs. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM: LaunchOptions = {
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

/** A fresh directory for one run; PGlite's data goes to `<dir>/pgdata`, the dev JWT secret beside it. */
export function freshDataDir(): { dir: string; dataDir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'wolaro-e2e-'));
  return { dir, dataDir: join(dir, 'pgdata'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment of `npm start`: this one without the variables that switch to real services. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) env[key] = value;
  }
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'DISCORD_TOKEN', 'JWT_SECRET', 'NODE_ENV', 'LOG_LEVEL']) {
    delete env[key];
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

const LOCK_FILE = join(
  tmpdir(),
  `wolaro-start-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);

/**
 * `npm start` rebuilds stale workspaces before it listens. Two test files starting it at once
 * would run two builds into the same `dist/`: hold a lock (across worker processes) until the
 * build step is over.
 */
async function acquireStartLock(timeoutMs = 240_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      let held = true;
      return () => {
        // once only: a second call must not remove the lock someone else took meanwhile
        if (held) rmSync(LOCK_FILE, { force: true });
        held = false;
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(LOCK_FILE, 'utf8'));
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      rmSync(LOCK_FILE, { force: true }); // left by a killed run
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${LOCK_FILE} (pid ${holder})`);
    await sleep(100);
  }
}

/** A running `npm start`. */
export interface Stack {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:{port}/panel` */
  readonly panelUrl: string;
  /** `http://127.0.0.1:{port}` */
  readonly origin: string;
  /** `http://127.0.0.1:{port}` of the Discord emulator */
  readonly emulatorUrl: string;
  /** stdout and stderr so far */
  output(): string;
  stderr(): string;
  /** `signal` (SIGINT), then the exit code (SIGKILL and `code: null` after `timeoutMs`). */
  stop(
    timeoutMs?: number,
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A finished `npm start` (one that was expected to fail). */
export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Spawned {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (test: (out: string) => boolean, what: string, timeoutMs: number) => Promise<void>;
}

/** How the stack is started: `node scripts/start.mjs`, or `npm start` as a user or process manager runs it. */
export type Launcher = 'node' | 'npm';

function spawnStart(env: Record<string, string>, launcher: Launcher = 'node'): Spawned {
  const [command, args] = launcher === 'npm' ? ['npm', ['start']] : [process.execPath, ['scripts/start.mjs']];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let all = '';
  const listeners = new Set<() => void>();
  const onData = (which: 'out' | 'err') => (d: Buffer) => {
    const text = d.toString();
    if (which === 'out') stdout += text;
    else stderr += text;
    all += text;
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData('out'));
  child.stderr?.on('data', onData('err'));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': by then all of its output has arrived.
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });
  const waitFor = (test: (out: string) => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test(all)) finish();
        else if (done) finish(new Error(`npm start exited before ${what}:\n${all}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`npm start: no ${what} after ${timeoutMs} ms:\n${all}`)),
        timeoutMs,
      );
      const finish = (err?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      listeners.add(check);
      check();
    });
  return { child, output: () => all, stdout: () => stdout, stderr: () => stderr, exited, waitFor };
}

/** Runs `npm start` with a data dir and random ports and resolves once the bot is ready. */
export async function startStack(
  dataDir: string,
  env: Record<string, string> = {},
  launcher: Launcher = 'node',
): Promise<Stack> {
  const release = await acquireStartLock();
  let proc: Spawned;
  try {
    proc = spawnStart({ PORT: '0', EMULATOR_PORT: '0', PGLITE_DATA_DIR: dataDir, ...env }, launcher);
    // past the build step (or failed): the next one may start
    await proc.waitFor((out) => /Starting the /.test(out), 'start-up', 240_000).finally(() => release());
  } catch (err) {
    release();
    throw err;
  }
  const p = proc;
  const stop = async (timeoutMs = 20_000, signal: NodeJS.Signals = 'SIGINT') => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
    const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
    const result = await p.exited;
    clearTimeout(timer);
    return result;
  };
  try {
    await p.waitFor(
      (out) => /Bot ready/.test(out) && /Panel: \S+/.test(out) && /Discord emulator: \S+/.test(out),
      '"Bot ready" and the Panel / Discord emulator URLs',
      60_000,
    );
  } catch (err) {
    await stop(5000);
    throw err;
  }
  const out = p.output();
  const panelUrl = /Panel: (http:\/\/\S+\/panel)/.exec(out)?.[1];
  const emulatorUrl = /Discord emulator: (http:\/\/\S+)/.exec(out)?.[1];
  if (!panelUrl || !emulatorUrl) throw new Error(`Cannot read the URLs from:\n${out}`);
  return {
    child: p.child,
    panelUrl,
    origin: new URL(panelUrl).origin,
    emulatorUrl,
    output: p.output,
    stderr: p.stderr,
    stop,
  };
}

/** Runs `npm start` expecting it to exit by itself (e.g. a port clash). */
export async function runStackToExit(
  env: Record<string, string>,
  timeoutMs = 120_000,
  launcher: Launcher = 'node',
): Promise<Exited> {
  const release = await acquireStartLock();
  const proc = spawnStart(env, launcher);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  try {
    await proc
      .waitFor((out) => /Starting the /.test(out), 'start-up', timeoutMs)
      .catch(() => {}) // exited first: expected here
      .finally(() => release());
    const { code } = await proc.exited;
    return { code, stdout: proc.stdout(), stderr: proc.stderr() };
  } finally {
    clearTimeout(timer);
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  }
}

/**
 * The OAuth2 round trip over plain HTTP, as a browser that keeps the state cookie and picks `userId`
 * on the emulator's authorize page: `/api/auth/discord` (with `nonce` when given) →
 * `/oauth2/authorize?…&user_id=` → the callback (its `state` optionally edited first). Resolves with
 * the callback's answer.
 */
export async function oauthRoundTrip(
  origin: string,
  userId: string,
  options: { nonce?: string; editState?: (state: string) => string } = {},
): Promise<{ status: number; location: string; body: string }> {
  const query = options.nonce === undefined ? '' : `?nonce=${encodeURIComponent(options.nonce)}`;
  const start = await fetch(`${origin}/api/auth/discord${query}`, { redirect: 'manual' });
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const authorize = new URL(start.headers.get('location') ?? '');
  authorize.searchParams.set('user_id', userId);
  const approved = await fetch(authorize, { redirect: 'manual' });
  const location = approved.headers.get('location');
  if (!location) throw new Error(`authorize answered ${approved.status} without a redirect`);
  const callback = new URL(location);
  if (options.editState) {
    callback.searchParams.set('state', options.editState(callback.searchParams.get('state') ?? ''));
  }
  const done = await fetch(callback, { redirect: 'manual', headers: { cookie } });
  return { status: done.status, location: done.headers.get('location') ?? '', body: await done.text() };
}

/** The panel's login over plain HTTP ({@link oauthRoundTrip}): the token of the `#token=` fragment. */
export async function loginOverHttp(origin: string, userId: string): Promise<string> {
  const done = await oauthRoundTrip(origin, userId);
  const token = new URLSearchParams(new URL(done.location, origin).hash.slice(1)).get('token');
  if (!token) throw new Error(`callback answered ${done.status} ${done.location}: no token`);
  return token;
}

/** A JSON request; resolves with the status and body. */
export async function json<T = unknown>(
  url: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A browser context (1280×800) logged in to the panel as `username` through the emulator's OAuth page. */
export async function loginInBrowser(
  browser: Browser,
  panelUrl: string,
  username: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000); // fail with Playwright's message, well before the test's timeout
  const page = await context.newPage();
  await page.goto(panelUrl);
  await page.getByRole('button', { name: 'Log in with Discord' }).click();
  // The emulator's authorize page lists the seeded users as links: pick one.
  await page.getByRole('link', { name: new RegExp(`@${username}\\b`) }).click();
  await page.waitForURL((url) => url.pathname === '/panel/home');
  return { context, page };
}
