import { fork, type Serializable } from 'node:child_process';
import { openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type RedisServerHandle, redisUrl, startRedisServer } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { RedisFallbackManager, type RedisFallbackManagerOptions } from '../../src/index.js';
import { defer } from '../closing.js';

export { defer, useCleanup } from '../closing.js';

/** A plain ioredis client (for checking what is really in Redis), closed after the test. */
export function rawRedis(url = redisUrl()): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  defer(() => client.disconnect());
  return client;
}

/** A private redis-server for chaos tests, stopped after the test. */
export async function privateRedis(): Promise<RedisServerHandle> {
  const server = await startRedisServer();
  defer(() => server.stop());
  return server;
}

/** A manager closed after the test, ready to use. */
export async function manager(options: RedisFallbackManagerOptions): Promise<RedisFallbackManager> {
  const cache = new RedisFallbackManager(options);
  defer(() => cache.close());
  await cache.ready();
  return cache;
}

/** Time of an async call in ms (high resolution). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

let schedstat: number | undefined | null;
const schedBuf = Buffer.alloc(128);

/**
 * Total time this thread has spent waiting for a CPU (run-queue delay), in ms, from Linux's
 * `/proc/thread-self/schedstat`; 0 where that file does not exist. Subtracting its increase from a
 * call's wall time leaves the time the process itself took (its code, GC, I/O waits): on a shared,
 * overloaded machine the OS can otherwise park the process for milliseconds in the middle of any call.
 */
export function runQueueDelayMs(): number {
  if (schedstat === undefined) {
    try {
      schedstat = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      schedstat = null;
    }
  }
  if (schedstat === null) return 0;
  const n = readSync(schedstat, schedBuf, 0, schedBuf.length, 0);
  return Number(schedBuf.toString('latin1', 0, n).split(' ')[1]) / 1e6;
}

/** Runs a full garbage collection (so none is due during a latency measurement). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A child process running a script of `fixtures/`, with typed IPC. */
export interface Fixture<Out> {
  send(message: unknown): void;
  /** Resolves with the first not yet taken message matching `match` (earlier arrivals count). */
  next<T extends Out>(match: (m: Out) => m is T, timeoutMs?: number): Promise<T>;
  readonly messages: readonly Out[];
  kill(): void;
}

/**
 * Starts `fixtures/<name>.ts` in a separate Node process (`node --import tsx`) with IPC; its env gets
 * `env`. Killed after the test.
 */
export function spawnFixture<Out extends { type: string }>(
  name: string,
  env: Record<string, string>,
): Fixture<Out> {
  const script = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Out[] = [];
  const taken = new Set<number>();
  const waiters = new Set<() => void>();
  let exit: string | undefined;
  child.on('message', (m) => {
    messages.push(m as Out);
    for (const w of [...waiters]) w();
  });
  child.on('exit', (code, signal) => {
    exit = `fixture ${name} exited (${code ?? signal})`;
    for (const w of [...waiters]) w();
  });
  defer(() => child.kill('SIGKILL'));
  return {
    messages,
    send: (message) => child.send(message as Serializable),
    kill: () => child.kill('SIGKILL'),
    next<T extends Out>(match: (m: Out) => m is T, timeoutMs = 15_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): void => {
          for (let i = 0; i < messages.length; i++) {
            const m = messages[i]!;
            if (!taken.has(i) && match(m)) {
              taken.add(i);
              done();
              resolve(m);
              return;
            }
          }
          if (exit) {
            done();
            reject(new Error(exit));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`fixture ${name}: no matching message after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A type guard for IPC messages of one `type`. */
export function ofType<M extends { type: string }, K extends M['type']>(type: K) {
  return (m: M): m is Extract<M, { type: K }> => m.type === type;
}

export { prng } from '@wolaro/test-harness';
