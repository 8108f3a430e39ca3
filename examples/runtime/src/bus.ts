/**
 * The one place that turns a config into the bus and the shared cache, for the bot and the API
 * alike.
 */
import { createDatabase, type Database } from '@wolaro/db';
import {
  FailoverTransport,
  type Logger,
  type MemoryBus,
  MemoryTransport,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
  type Transport,
} from '@wolaro/sync';
import { OutboxRelay, PgNotifyTransport } from '@wolaro/sync/pg';
import type { CleanupStack } from './cleanup.js';
import type { SharedConfig } from './env.js';
import { redisInputOf } from './redis_target.js';
import { databaseStartupError } from './startup_error.js';

/** The bus of an app, and its Redis leg (for health reports) when there is one. */
export interface BusSetup {
  sync: SyncClient;
  /** The Redis transport when a Redis is configured (alone or as the first leg of the failover). */
  redis: RedisTransport | undefined;
}

/**
 * Picks the transport (`REDIS_URL` stands for any configured Redis: one server, a Cluster through
 * `REDIS_CLUSTER_NODES` with sharded pub/sub, or Sentinels through `REDIS_SENTINELS`):
 * - `REDIS_URL` + a real Postgres (`PG_NOTIFY` not false) → `FailoverTransport([Redis, PgNotify])`:
 *   pushes keep arriving through LISTEN/NOTIFY while Redis is down;
 * - `REDIS_URL` with the embedded database, or `PG_NOTIFY=false` → Redis alone (NOTIFY does not
 *   cross PGlite connections);
 * - no `REDIS_URL` → the in-process bus `bus` (the bot and the API in one process).
 *
 * With `SYNC_SIGNING_KEY`, every message is signed and unsigned or badly signed ones are dropped,
 * on every transport.
 *
 * The client is not connected yet: subscribe first, then `connect()`, so nothing is missed.
 */
export function createBus(
  config: SharedConfig,
  db: Pick<Database, 'kind' | 'pool'>,
  logger: Logger,
  bus?: MemoryBus,
): BusSetup {
  let transport: Transport;
  let redis: RedisTransport | undefined;
  const input = redisInputOf(config);
  if (input === undefined) {
    transport = new MemoryTransport(bus ? { bus } : {});
  } else {
    redis = new RedisTransport({ redis: input, connectTimeoutMs: config.redisConnectTimeoutMs });
    transport =
      config.pgNotify && db.kind === 'postgres'
        ? new FailoverTransport([redis, new PgNotifyTransport({ pool: db.pool })])
        : redis;
  }
  const sync = new SyncClient({
    transport,
    keyPrefix: config.redisKeyPrefix,
    logger,
    ...(config.syncSigningKey ? { signingKey: config.syncSigningKey } : {}),
  });
  return { sync, redis };
}

/**
 * Whether a cache can share `transport`'s publishing connection so that a store sent before a
 * publish is run first: one Redis server or a Sentinel-watched master (on a Cluster the key and
 * the channel may live on different nodes).
 */
export function canShareConnection(transport: RedisTransport | undefined): transport is RedisTransport {
  return transport !== undefined && !transport.client.isCluster;
}

/**
 * The shared cache: Redis with the in-memory fallback (it logs `Redis down, using memory cache`
 * once per outage), or `undefined` without Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES` or
 * `REDIS_SENTINELS`).
 *
 * With `publishOn` (the bus's Redis transport, see {@link canShareConnection}) the cache sends its
 * commands on the connection the app's events are published on, so a value stored just before an
 * event is there when the event arrives, with no wait between the two. That connection stays the
 * transport's, with its command timeout.
 *
 * @example
 * ```ts
 * const { sync, redis } = createBus(config, db, logger);
 * const cache = createSharedCache(config, logger, redis);
 * ```
 */
export function createSharedCache(
  config: SharedConfig,
  logger: Logger,
  publishOn?: RedisTransport,
): RedisFallbackManager | undefined {
  const input = redisInputOf(config);
  if (input === undefined) return undefined;
  return new RedisFallbackManager({
    redis: canShareConnection(publishOn) ? publishOn.client : input,
    keyPrefix: config.redisKeyPrefix,
    healthCheckIntervalMs: config.redisHealthCheckMs,
    logger,
  });
}

/**
 * The app's database, opened (and migrated) from the config and closed with `stack`; a failure
 * is a one-line `StartupError` naming `DATABASE_URL` or the data directory.
 */
export async function openDatabase(
  config: SharedConfig,
  stack: CleanupStack,
  logger: Logger,
  max?: number,
): Promise<Database> {
  try {
    const db = await createDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      ...(max === undefined ? {} : { max }),
      timeouts: config.pgTimeouts,
      logger,
    });
    return stack.use(db, (d) => d.close());
  } catch (err) {
    throw databaseStartupError(err, config.databaseUrl, config.dataDir);
  }
}

/**
 * Starts the outbox relay of an app (LISTEN/NOTIFY on a real Postgres, polling on PGlite), which
 * publishes what a crash or a bus failure left in the outbox; `stack` stops it.
 *
 * @example
 * ```ts
 * const relay = await startOutboxRelay(db, sync, stack, logger.child({ component: 'outbox' }));
 * ```
 */
export async function startOutboxRelay(
  db: Database,
  sync: SyncClient,
  stack: CleanupStack,
  logger: Logger,
): Promise<OutboxRelay> {
  const relay = new OutboxRelay({ pool: db.pool, sync, notify: db.kind === 'postgres', logger });
  await relay.start();
  stack.defer(() => relay.stop());
  return relay;
}
