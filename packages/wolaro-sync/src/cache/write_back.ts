import type { Cluster, Redis } from 'ioredis';
import { toError } from '../internal/to_error.js';
import type { Logger } from '../logger.js';
import { decodeValue } from './envelope.js';
import type { MemoryFallback } from './memory_fallback.js';
import { isOutageError, runCas } from './redis_ops.js';

/** What a write-back did: see `RedisFallbackManagerEvents['up']`. */
export interface WriteBackResult {
  written: number;
  skipped: number;
  dropped: number;
  /** Keys whose command failed because Redis went away again (to retry). */
  failed: string[];
  error: Error | undefined;
}

/**
 * Reconciles the keys touched during an outage (internal to `RedisFallbackManager`): a versioned
 * entry still in memory is written with the compare-and-set script (so a newer value in Redis,
 * whoever wrote it, wins); every other key (unversioned, deleted, evicted or expired during the
 * outage) is deleted in Redis, since its Redis value may predate the outage write.
 *
 * Every command is sent synchronously, before this returns: on the one connection they are thus
 * ahead of any command a caller sends once the manager is back on Redis, so a caller's fresh write
 * is never undone by a write-back. The returned promise only collects the results.
 */
export function issueWriteBack(
  redis: Redis | Cluster,
  timed: <T>(p: Promise<T>) => Promise<T>,
  memory: MemoryFallback,
  keys: readonly string[],
  logger: Logger,
): Promise<WriteBackResult> {
  const result: WriteBackResult = { written: 0, skipped: 0, dropped: 0, failed: [], error: undefined };
  const pending = keys.map(async (key) => {
    const entry = memory.entry(key);
    const decoded = entry && decodeValue(entry.raw);
    try {
      if (entry && decoded?.version !== undefined) {
        const tomb = decoded.data === undefined ? '1' : '0';
        const args = [String(decoded.version), entry.raw, tomb, String(entry.ttlMs)] as const;
        if (await runCas(redis, timed, key, args)) result.written++;
        else result.skipped++;
      } else {
        await timed(redis.del(key));
        result.dropped++;
      }
    } catch (err) {
      const error = toError(err);
      if (isOutageError(error)) {
        result.failed.push(key);
        result.error = error;
      } else {
        logger.warn({ err: error, key }, `Redis cache write-back of ${key} failed: ${error.message}`);
        result.dropped++;
      }
    }
  });
  return Promise.all(pending).then(() => result);
}
