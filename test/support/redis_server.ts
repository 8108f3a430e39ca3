import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort, pingRedis } from './net.js';
import { killOnExit } from './reaper.js';
import { sleep } from './wait.js';

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port to listen on (default: a free port picked by {@link freePort}). */
  port?: number;
  /** Extra `redis-server` command-line arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: readonly string[];
  /** How long to wait for the first `PONG` after each (re)start, in ms (default 10000). */
  startTimeoutMs?: number;
  /**
   * A config file passed first (`redis-server <file> ...`): needed for Sentinel (`args: ['--sentinel']`),
   * which rewrites its file. The file must be writable and kept across restarts.
   */
  configFile?: string;
  /** How long one `PING` may take before it counts as unanswered, in ms (default 250; more on a loaded machine). */
  pingTimeoutMs?: number;
}

/** A private `redis-server` child process; see {@link startRedisServer}. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`; stays the same across {@link RedisServerHandle.restart}. */
  readonly url: string;
  /** TCP port on 127.0.0.1; stays the same across restarts. */
  readonly port: number;
  /** PID of the current process (changes on restart), `undefined` while stopped. */
  readonly pid: number | undefined;
  /** `true` while a process is alive (also while paused). */
  readonly running: boolean;
  /** `true` between {@link RedisServerHandle.pause} and {@link RedisServerHandle.resume}. */
  readonly paused: boolean;
  /** Graceful shutdown: SIGTERM (SIGCONT too if paused), wait for exit, SIGKILL after 5 s. No-op if stopped. */
  stop(): Promise<void>;
  /** Crash: SIGKILL and wait for the exit. No-op if stopped. */
  kill(): Promise<void>;
  /** Freeze the process with SIGSTOP (connections stay open, nothing is answered). Resolves once stopped. */
  pause(): Promise<void>;
  /** Unfreeze a paused process with SIGCONT. Resolves once it runs again. */
  resume(): Promise<void>;
  /** Stop the process if it runs, start a new one on the SAME port and wait until it answers PING. */
  restart(): Promise<void>;
  /** Last lines the server printed (for debugging failures). */
  output(): string;
}

/**
 * Starts a watchdog shell in its own process group that SIGKILLs `pid` as soon as its stdin pipe reaches
 * EOF, i.e. when this Node process dies in any way (including SIGKILL, where `exit` hooks never run).
 */
function spawnWatchdog(pid: number): ChildProcess | undefined {
  try {
    const watchdog = spawn('sh', ['-c', `read _unused; kill -9 ${pid} 2>/dev/null`], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.on('error', () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as Socket | null)?.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

function stopWatchdog(watchdog: ChildProcess | undefined): void {
  if (!watchdog) return;
  try {
    watchdog.kill('SIGKILL');
  } catch {
    // already gone
  }
  watchdog.stdin?.destroy();
}

/** Linux process state letter from /proc (`R`, `S`, `T`, `Z`, ...) or `undefined` if unknown. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

async function waitForProcState(pid: number, wanted: (state: string) => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const state = procState(pid);
    if (state === undefined || wanted(state)) return;
    await sleep(2);
  }
}

class RedisServer implements RedisServerHandle {
  readonly url: string;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log: string[] = [];
  private isPaused = false;

  constructor(
    readonly port: number,
    private readonly args: readonly string[],
    private readonly startTimeoutMs: number,
    private readonly configFile: string | undefined,
    private readonly pingTimeoutMs = 250,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  output(): string {
    return this.log.join('');
  }

  /** Spawns the process and waits for PONG; rejects (and cleans up) if it exits or times out first. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`redis-server on port ${this.port} is already running`);
    if (await pingRedis('127.0.0.1', this.port, this.pingTimeoutMs)) {
      throw new Error(`cannot start redis-server: port ${this.port} is already served by another Redis`);
    }
    const child = spawn(
      'redis-server',
      [
        ...(this.configFile === undefined ? [] : [this.configFile]),
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--daemonize',
        'no',
        '--dir',
        tmpdir(),
        '--dbfilename',
        `wolaro-test-redis-${this.port}.rdb`,
        ...this.args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.log = [];
    const record = (chunk: Buffer) => {
      this.log.push(chunk.toString('utf8'));
      if (this.log.length > 50) this.log.shift();
    };
    child.stdout.on('data', record);
    child.stderr.on('data', record);
    (child.stdout as unknown as Socket).unref();
    (child.stderr as unknown as Socket).unref();
    child.unref();

    let spawnError: Error | undefined;
    let hasExited = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        hasExited = true;
        resolve();
      });
      child.once('exit', () => {
        hasExited = true;
        resolve();
      });
    }).then(() => {
      stopWatchdog(this.watchdog);
      if (this.child === child) {
        this.child = undefined;
        this.watchdog = undefined;
        this.isPaused = false;
      }
    });
    this.child = child;
    killOnExit(child);
    if (child.pid !== undefined) this.watchdog = spawnWatchdog(child.pid);

    const deadline = Date.now() + this.startTimeoutMs;
    while (!hasExited) {
      if ((await pingRedis('127.0.0.1', this.port, this.pingTimeoutMs)) && !hasExited) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `redis-server on port ${this.port} did not answer PING within ${this.startTimeoutMs} ms:\n${this.output()}`,
        );
      }
      await sleep(10);
    }
    await this.exited;
    if (spawnError && (spawnError as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RedisServerNotFoundError();
    }
    throw new Error(
      `redis-server on port ${this.port} exited during start-up${spawnError ? `: ${spawnError.message}` : ''}:\n${this.output()}`,
    );
  }

  private async signalAndWait(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    if (this.isPaused && signal !== 'SIGKILL') child.kill('SIGCONT');
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  stop(): Promise<void> {
    return this.signalAndWait('SIGTERM', 5000);
  }

  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL', 5000);
  }

  async pause(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child?.kill('SIGSTOP');
    this.isPaused = true;
    await waitForProcState(pid, (state) => state === 'T');
  }

  async resume(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child?.kill('SIGCONT');
    this.isPaused = false;
    await waitForProcState(pid, (state) => state !== 'T');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/** Thrown when `redis-server` is not on PATH. */
export class RedisServerNotFoundError extends Error {
  constructor() {
    super(
      'redis-server is not installed (not found on PATH). Install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL.',
    );
    this.name = 'RedisServerNotFoundError';
  }
}

/**
 * Starts a private `redis-server` child process on 127.0.0.1 for chaos tests (kill / pause / restart),
 * without persistence (`--save "" --appendonly no`). Waits until it answers PING.
 *
 * The process is SIGKILLed when the test process exits, even if the test forgot to `stop()` it or the
 * worker itself is killed (a tiny detached watchdog shell notices the parent's death).
 *
 * @example
 * ```ts
 * const server = await startRedisServer();
 * afterAll(() => server.stop());
 * const redis = new Redis(server.url);
 * await server.kill();     // connection drops
 * await server.restart();  // same port, so the client reconnects by itself
 * ```
 * @param options - fixed port, extra arguments, start timeout
 * @returns a handle to control the process
 * @throws {@link RedisServerNotFoundError} when `redis-server` is not installed
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    const server = new RedisServer(
      port,
      options.args ?? [],
      options.startTimeoutMs ?? 10_000,
      options.configFile,
      options.pingTimeoutMs ?? 250,
    );
    try {
      await server.start();
      return server;
    } catch (err) {
      if (err instanceof RedisServerNotFoundError) throw err;
      lastError = err;
      // Retry on another free port only if the port was taken between freePort() and bind().
      if (!server.output().includes('Address already in use')) break;
    }
  }
  throw lastError;
}
