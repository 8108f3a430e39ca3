import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * SIGKILLs `child` if this process exits while it still runs (a test run that dies must not leave
 * servers and apps behind). The child leaves the list by itself when it exits.
 *
 * @example
 * ```ts
 * const child = spawn('redis-server', ['--port', String(port)]);
 * killOnExit(child);
 * ```
 */
export function killOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const running of live) {
        try {
          if (running.pid !== undefined) process.kill(running.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
