import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import { redisAddress } from './redis_address.js';

/**
 * Tells an ioredis client (`Redis` or `Cluster`) from URL/options, by shape, so two copies of
 * ioredis in one app still work.
 *
 * @example
 * ```ts
 * isRedisClient(new Redis()); // true
 * isRedisClient('redis://localhost'); // false
 * ```
 */
export function isRedisClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).duplicate === 'function' &&
    typeof (value as Redis).publish === 'function'
  );
}

/**
 * Creates an ioredis client from a URL or options, tuned to fail fast: no offline queue (a call
 * while Redis is down rejects at once instead of waiting), one retry per request and a
 * per-command timeout. Shared by the transport and the cache.
 *
 * @example
 * ```ts
 * const redis = createRedisClient('redis://127.0.0.1:6379', 250);
 * await redis.connect();
 * ```
 */
export function createRedisClient(input: string | RedisOptions, commandTimeoutMs: number): Redis {
  const tuned: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
  };
  return typeof input === 'string' ? new Redis(input, tuned) : new Redis({ ...tuned, ...input });
}

/**
 * Resolves when an ioredis client is ready, starting it if it is lazy; rejects after `timeoutMs`
 * (or when the client gives up) with a `RedisUnavailableError` naming the address, whose `cause`
 * is the last connection error. The client keeps reconnecting in the background either way.
 */
export function waitForReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  const address = redisAddress(client);
  return new Promise<void>((resolve, reject) => {
    let last: Error | undefined;
    const done = (why?: string): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      client.off('error', onError);
      if (why === undefined) {
        resolve();
        return;
      }
      const reason = last ? `: ${last.message}` : '';
      const message = `Redis unavailable at ${address}: ${why}${reason}`;
      reject(new RedisUnavailableError(address, message, last ? { cause: last } : undefined));
    };
    const onReady = (): void => done();
    const onEnd = (): void => done('the connection ended before it was ready');
    const onError = (err: Error): void => {
      last = err;
    };
    const timer = setTimeout(() => done(`not ready after ${timeoutMs} ms`), timeoutMs);
    client.on('ready', onReady);
    client.on('end', onEnd);
    client.on('error', onError);
    if (client.status === 'wait') client.connect().catch(() => {});
  });
}
