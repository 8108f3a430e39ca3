import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { killOnExit } from '../reaper.js';
import { waitFor } from '../wait.js';
import { ChildLogs } from './child_logs.js';

/** The repository root: children run from here (tsx reads the root tsconfig `paths`). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A running process of this harness, its output in {@link ChildLogs}. */
export interface AppProcess {
  readonly child: ChildProcess;
  readonly logs: ChildLogs;
}

/** Options of {@link spawnNode}. */
export interface SpawnOptions {
  /** Where output goes (default: a new {@link ChildLogs}). */
  logs?: ChildLogs;
  /** The whole environment on top of PATH and HOME; nothing else of this process's env is passed. */
  env?: Record<string, string>;
  /** `TSX_TSCONFIG_PATH` of the child (its tsx reads that tsconfig, e.g. `paths` to a patched copy). */
  tsconfig?: string;
}

/**
 * Spawns `node <args>` from the repo root with exactly `env` (plus PATH and HOME), recording stdout
 * and stderr line by line. The child is SIGKILLed if this process exits first.
 *
 * @example
 * ```ts
 * const fixture = spawnNode(['--import', 'tsx', 'test/system/fixtures/crash_after_commit.ts'], { env });
 * await fixture.logs.waitFor(/^committed /);
 * await stopChild(fixture.child, 'SIGKILL');
 * ```
 */
export function spawnNode(args: readonly string[], options: SpawnOptions = {}): AppProcess {
  const logs = options.logs ?? new ChildLogs();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? ROOT,
      ...(options.tsconfig ? { TSX_TSCONFIG_PATH: options.tsconfig } : {}),
      ...options.env,
    },
    // stdin is a pipe the child may watch: it ends when this process goes away.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {});
  killOnExit(child);
  child.stdout?.on('data', (chunk: Buffer) => logs.feed('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => logs.feed('stderr', chunk));
  return { child, logs };
}

/** Whether the child has exited (or was killed). */
export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Sends `signal`, waits for the exit, SIGKILLs after `graceMs`. Returns how it ended.
 *
 * @example
 * ```ts
 * expect(await stopChild(child, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
 * ```
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 8000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (exited(child)) return { code: child.exitCode, signal: child.signalCode };
  const done = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    const [code, sig] = await done;
    return { code, signal: sig };
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `GET <url>/api/health` answers 200; fails at once when the process exits. */
export async function waitForHealth(url: string, proc: AppProcess, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      if (exited(proc.child))
        throw new Error(`panel API exited (${proc.child.exitCode ?? proc.child.signalCode})`);
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 50, message: `GET ${url}/api/health → 200` },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\npanel API output:\n${proc.logs.tail()}`);
  });
}
