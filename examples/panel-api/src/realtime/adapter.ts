import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { redisInputOf, redisSourceOf, redisStartupError, type SharedConfig } from '@wolaro/app-runtime';
import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import type { Server } from 'socket.io';
import type { AppLogger } from '../logger.js';

/** Waits for an ioredis client to be ready (it was created with `lazyConnect`). */
async function ready(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puts Socket.io on the Redis the config names, so that what one node broadcasts or disconnects
 * (`io.emit`, `io.in(room).disconnectSockets()`: a logout's `revokeSession`) reaches the sockets
 * of every node. One Redis or Sentinel: `createAdapter` with a publisher and a subscriber
 * connection; a Cluster: `createShardedAdapter` (sharded pub/sub, Redis 7), with ioredis' sharded
 * subscribers. The channels live under `REDIS_KEY_PREFIX` + `socket.io`. Without Redis (one
 * process) nothing changes. Resolves with the function that closes the two connections.
 */
export async function attachRedisAdapter(
  io: Server,
  config: SharedConfig,
  logger: AppLogger,
): Promise<(() => Promise<void>) | undefined> {
  const input = redisInputOf(config);
  if (input === undefined) return undefined;
  const key = `${config.redisKeyPrefix}socket.io`;
  let pub: Redis | Cluster;
  let sub: Redis | Cluster;
  if (typeof input === 'object' && 'cluster' in input) {
    pub = new Cluster(input.cluster as ClusterNode[], { lazyConnect: true });
    sub = new Cluster(input.cluster as ClusterNode[], { lazyConnect: true, shardedSubscribers: true });
  } else {
    pub =
      typeof input === 'string'
        ? new Redis(input, { lazyConnect: true })
        : new Redis({ ...(input as RedisOptions), lazyConnect: true, failoverDetector: true });
    sub = pub.duplicate();
  }
  const clients = [pub, sub];
  // Reconnects are ioredis' job; say it once at warn, not once per attempt.
  for (const client of clients) {
    client.on('error', (err: Error) => logger.debug({ err }, `Socket.io adapter Redis: ${err.message}`));
  }
  const close = async () => {
    await Promise.all(
      clients.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())),
    );
  };
  try {
    await Promise.all(clients.map((c) => ready(c, config.redisConnectTimeoutMs)));
  } catch (err) {
    await close();
    const source = redisSourceOf(config);
    throw source === undefined ? err : redisStartupError(err, source);
  }
  io.adapter(
    pub.isCluster
      ? createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: 'static' })
      : createAdapter(pub, sub, { key }),
  );
  logger.info({ key, cluster: pub.isCluster }, 'Socket.io Redis adapter attached');
  return close;
}
