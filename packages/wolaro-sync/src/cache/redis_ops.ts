import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { CAS_SCRIPT } from './envelope.js';

/** Raised by the cache's own per-call timer (clients given without a `commandTimeout`). */
export class CacheCommandTimeoutError extends Error {
  override readonly name = 'CacheCommandTimeoutError';
  constructor(ms: number) {
    super(`Redis cache command timed out after ${ms} ms`);
  }
}

// Error replies that mean "this Redis cannot serve now" rather than "this command is wrong".
const UNAVAILABLE_REPLY =
  /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOAUTH|WRONGPASS|MISCONF|OOM)\b/;

/**
 * Whether an error means Redis is unavailable (connection lost, timeout, server not serving) as
 * opposed to a reply error about one command (e.g. `WRONGTYPE`), which must not trigger the fallback.
 */
export function isOutageError(error: Error): boolean {
  if (error.name !== 'ReplyError') return true;
  return UNAVAILABLE_REPLY.test(error.message);
}

/** Whether a command timed out (ioredis' `commandTimeout` or the cache's own timer). */
export function isTimeoutError(error: Error): boolean {
  return error instanceof CacheCommandTimeoutError || error.message === 'Command timed out';
}

const CAS_SHA = createHash('sha1').update(CAS_SCRIPT).digest('hex');

/**
 * Runs the compare-and-set script (EVALSHA, falling back to EVAL after a restart emptied the script
 * cache). `wrap` applies the caller's timeout.
 */
export async function runCas(
  redis: Redis | Cluster,
  wrap: <T>(p: Promise<T>) => Promise<T>,
  key: string,
  args: readonly [version: string, encoded: string, tombstone: '0' | '1', ttlMs: string],
): Promise<boolean> {
  return Number(await evalCas(redis, wrap, key, args)) === 1;
}

/**
 * {@link runCas} that also gets back what it kept: `true` when written, else the stored value
 * (encoded) that is at the same version or newer.
 */
export async function runCasOrGet(
  redis: Redis | Cluster,
  wrap: <T>(p: Promise<T>) => Promise<T>,
  key: string,
  args: readonly [version: string, encoded: string, tombstone: '0' | '1', ttlMs: string],
): Promise<true | string> {
  const reply = await evalCas(redis, wrap, key, [...args, '1']);
  return typeof reply === 'string' ? reply : true;
}

async function evalCas(
  redis: Redis | Cluster,
  wrap: <T>(p: Promise<T>) => Promise<T>,
  key: string,
  args: readonly string[],
): Promise<unknown> {
  try {
    return await wrap(redis.evalsha(CAS_SHA, 1, key, ...args));
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return await wrap(redis.eval(CAS_SCRIPT, 1, key, ...args));
  }
}
