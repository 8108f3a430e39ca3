import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
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
 * A Redis Cluster the SDK creates (and closes) itself: its startup nodes and ioredis
 * `ClusterOptions` (what `redisOptions` sets applies to every node connection).
 */
export interface ClusterInputShape {
  cluster: readonly (string | { host: string; port: number })[];
  clusterOptions?: ClusterOptions;
}

/** Whether `value` asks for a Cluster (`{ cluster: [...] }`) rather than one Redis. */
export function isClusterInput(value: unknown): value is ClusterInputShape {
  return typeof value === 'object' && value !== null && Array.isArray((value as ClusterInputShape).cluster);
}

function backoff(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 1000);
}

/**
 * Creates an ioredis client from a URL, options or a cluster definition, tuned to fail fast: no
 * offline queue (a call while Redis is down rejects at once instead of waiting), one retry per
 * request and a per-command timeout. With Sentinel options (`sentinels` + `name`) the client also
 * watches the Sentinels' `+switch-master` (`failoverDetector`), so it leaves a demoted master at
 * once. Shared by the transport and the cache.
 *
 * @example
 * ```ts
 * const redis = createRedisClient('redis://127.0.0.1:6379', 250);
 * await redis.connect();
 * ```
 */
export function createRedisClient(
  input: string | RedisOptions | ClusterInputShape,
  commandTimeoutMs: number,
): Redis | Cluster {
  const tuned: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    retryStrategy: backoff,
  };
  if (isClusterInput(input)) {
    const { clusterOptions = {} } = input;
    return new Cluster(input.cluster as ClusterNode[], {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      ...clusterOptions,
      // Node connections keep ioredis' cluster defaults (they queue while connecting and the
      // cluster reconnects them): without the queue the first commands to a node fail and are
      // retried out of order. The timeouts bound how long a command waits.
      redisOptions: {
        maxRetriesPerRequest: tuned.maxRetriesPerRequest,
        commandTimeout: commandTimeoutMs,
        connectTimeout: tuned.connectTimeout,
        ...clusterOptions.redisOptions,
      },
    });
  }
  if (typeof input === 'string') return keepOpen(new Redis(input, tuned));
  const sentinel = Array.isArray(input.sentinels) ? { failoverDetector: true } : {};
  return keepOpen(new Redis({ ...tuned, ...sentinel, ...input }));
}

/** Connections the SDK is closing on purpose: {@link keepOpen} leaves them ended. */
const closing = new WeakSet<Redis>();

/** How long an ended connection waits before {@link keepOpen} starts it again. */
export const RESTART_DELAY_MS = 100;

/**
 * Keeps a connection the SDK owns from ending by accident: when it ends without
 * {@link closeOwnedClient}, it is started again after {@link RESTART_DELAY_MS}.
 *
 * ioredis ends a Sentinel client for good when its failover detector fires (a Sentinel announced
 * `+switch-master`) while the client is reconnecting and still asking a Sentinel for the master:
 * the interrupted lookup rejects with "Connection is closed." and the client goes to `end`, where
 * it never reconnects. A master that dies makes exactly that likely: the client reconnects at once
 * and the switch is announced a moment later.
 *
 * @example
 * ```ts
 * const sub = keepOpen(redis.duplicate());
 * await closeOwnedClient(sub); // ends it for good
 * ```
 */
export function keepOpen(client: Redis): Redis {
  client.on('end', () => {
    if (closing.has(client)) return;
    const timer = setTimeout(() => {
      if (!closing.has(client) && client.status === 'end') client.connect().catch(() => {});
    }, RESTART_DELAY_MS);
    timer.unref();
  });
  return client;
}

/**
 * Closes a connection the SDK owns for good, so {@link keepOpen} does not start it again. With
 * `quit` (the default) a ready connection sends `QUIT` and its pending replies still arrive;
 * otherwise, and when it is not ready, it disconnects at once.
 *
 * @example
 * ```ts
 * await closeOwnedClient(redis);
 * void closeOwnedClient(subscriber, { quit: false });
 * ```
 */
export async function closeOwnedClient(
  client: Redis | Cluster,
  { quit = true }: { quit?: boolean } = {},
): Promise<void> {
  if (!client.isCluster) closing.add(client as Redis);
  if (quit && client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

/** {@link waitForReady} for one connection (or a Cluster's slot map). */
function clientReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
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

/**
 * Resolves when an ioredis client is ready, starting it if it is lazy; rejects after `timeoutMs`
 * (or when the client gives up) with a `RedisUnavailableError` naming the address, whose `cause`
 * is the last connection error. The client keeps reconnecting in the background either way.
 *
 * A Cluster is "ready" once it knows the slot map, while its node connections open on first use:
 * this also opens the masters' connections, so that a first command does not spend its (short)
 * timeout connecting, and commands sent while a node connection is still in its ready check cannot
 * overtake the ones queued before them.
 */
export async function waitForReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await clientReady(client, timeoutMs);
  if (!client.isCluster) return;
  const masters = (client as Cluster).nodes('master');
  await Promise.all(masters.map((node) => clientReady(node, Math.max(1, deadline - Date.now()))));
}
