import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import { ClosedError } from '../errors.js';
import { BaseTransport } from '../internal/base_transport.js';
import { checkOptions, durationMs, redisInputSchema, requireRedis } from '../internal/options.js';
import {
  closeOwnedClient,
  createRedisClient,
  isRedisClient,
  keepOpen,
  waitForReady,
} from '../internal/redis_client.js';
import { plainSubscriber, ShardedSubscriber, type Subscriber } from '../internal/subscriber.js';
import { toError } from '../internal/to_error.js';

/**
 * The part of an ioredis `Redis` or `Cluster` the SDK's types rely on. Structural on purpose: an
 * instance of any compatible ioredis (5.x or 6.x, even a second copy in `node_modules`) type-checks,
 * where the nominal classes of two copies would not.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: RedisClientLike = new Redis({ lazyConnect: true });
 * ```
 */
export interface RedisClientLike {
  readonly status: string;
  readonly isCluster: boolean;
  duplicate(...args: never[]): unknown;
  publish(channel: string, message: string): Promise<unknown>;
  ping(): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(reconnect?: boolean): void;
}

/**
 * A Redis Cluster for the SDK to create (and close) itself: the startup nodes and, optionally,
 * ioredis `ClusterOptions` (`redisOptions` applies to every node connection, e.g. a password).
 * Give an ioredis `Cluster` instead when you want to share or close it yourself.
 *
 * @example
 * ```ts
 * const input: RedisClusterInput = {
 *   cluster: ['10.0.0.1:6379', { host: '10.0.0.2', port: 6379 }],
 *   clusterOptions: { redisOptions: { password: 'secret' } },
 * };
 * ```
 */
export interface RedisClusterInput {
  /** Startup nodes: `host:port` strings or `{ host, port }`; the rest of the cluster is discovered. */
  cluster: readonly (string | { host: string; port: number })[];
  /** ioredis options of the `Cluster`. */
  clusterOptions?: ClusterOptions;
}

/**
 * Anything `@wolaro/sync` accepts as "a Redis": a URL, ioredis options (Sentinel too:
 * `{ sentinels, name }`), a cluster definition, or an existing ioredis `Redis` or `Cluster` (which
 * stays yours: the SDK never closes a client it did not create).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const a: RedisInput = 'redis://127.0.0.1:6379';
 * const b: RedisInput = { host: '127.0.0.1', port: 6379, password: 'secret' };
 * const c: RedisInput = new Redis({ lazyConnect: true });
 * const d: RedisInput = { sentinels: [{ host: '10.0.0.5', port: 26379 }], name: 'wolaro' };
 * const e: RedisInput = { cluster: ['10.0.0.1:6379', '10.0.0.2:6379'] };
 * ```
 */
export type RedisInput = string | RedisOptions | RedisClusterInput | RedisClientLike;

/**
 * The hash tag of every channel on a Redis Cluster unless {@link RedisTransportOptions.channelHashTag}
 * says otherwise: channel `config:update` travels as `{wolaro}config:update`.
 *
 * @example
 * ```ts
 * new RedisTransport({ redis: { cluster: ['10.0.0.1:6379'] }, channelHashTag: DEFAULT_CHANNEL_HASH_TAG });
 * ```
 */
export const DEFAULT_CHANNEL_HASH_TAG = 'wolaro';

/**
 * Options of {@link RedisTransport}.
 *
 * @example
 * ```ts
 * new RedisTransport({ redis: 'redis://127.0.0.1:6379', commandTimeoutMs: 500, connectTimeoutMs: 2000 });
 * ```
 */
export interface RedisTransportOptions {
  /** The Redis to use. A client you pass stays yours; the subscriber is its `.duplicate()`. */
  redis: RedisInput;
  /**
   * Per-command timeout of the connections the transport creates, so a hung Redis fails fast.
   * @defaultValue 1000
   */
  commandTimeoutMs?: number;
  /**
   * How often the subscriber connection is pinged to notice a Redis that hangs without closing
   * the socket (0 disables).
   * @defaultValue 5000
   */
  heartbeatIntervalMs?: number;
  /**
   * How long `connect()` waits for Redis before rejecting with a `RedisUnavailableError`
   * (`E_REDIS_UNAVAILABLE`, naming `host:port`); the connection keeps retrying in the background.
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * On a Redis Cluster only: the hash tag in front of every channel on the wire (`{tag}channel`,
   * published with `SPUBLISH`, heard with `SSUBSCRIBE`). One tag puts every channel of a bus in one
   * slot: one subscriber connection hears them all, in the order they were published, and a
   * failover of that shard is one outage (one `resync`). Give separate buses (environments,
   * tenants) different tags to spread them over the shards. Ignored on a single Redis or Sentinel,
   * where channels keep their plain names.
   * @defaultValue `'wolaro'`
   */
  channelHashTag?: string;
}

/** Defaults of {@link RedisTransportOptions}. */
export const DefaultRedisTransportOptions = {
  commandTimeoutMs: 1000,
  heartbeatIntervalMs: 5000,
  connectTimeoutMs: 10_000,
  channelHashTag: DEFAULT_CHANNEL_HASH_TAG,
} as const satisfies Required<Omit<RedisTransportOptions, 'redis'>>;

const redisTransportSchema = z.object({
  redis: redisInputSchema.optional(),
  commandTimeoutMs: durationMs.optional(),
  heartbeatIntervalMs: z.union([z.literal(0), durationMs]).optional(),
  connectTimeoutMs: durationMs.optional(),
  channelHashTag: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 : . _ - (no braces)')
    .optional(),
});

/**
 * Redis pub/sub transport: one connection publishes, another subscribes. After a reconnect it
 * subscribes again and emits `up` (the client turns that into `'resync'`); a heartbeat notices a
 * Redis that hangs without closing the socket.
 *
 * - One Redis: `PUBLISH`/`SUBSCRIBE` on a duplicate of the client.
 * - Sentinel (`{ sentinels, name }`): the same; the connections follow the Sentinels to the new
 *   master after a failover, then the transport subscribes again and reports the outage.
 * - Cluster (an ioredis `Cluster` or `{ cluster: [...] }`): sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`,
 *   Redis 7 or later). Every channel is tagged `{channelHashTag}` so they share one slot; the
 *   subscriber follows that slot to its new master after a failover or a slot migration.
 *
 * @example
 * ```ts
 * const sync = new SyncClient({ transport: new RedisTransport({ redis: 'redis://127.0.0.1:6379' }) });
 * // same as: new SyncClient({ redis: 'redis://127.0.0.1:6379' })
 * const clustered = new RedisTransport({ redis: { cluster: ['10.0.0.1:6379', '10.0.0.2:6379'] } });
 * ```
 */
export class RedisTransport extends BaseTransport {
  readonly name = 'redis';
  readonly #pub: Redis | Cluster;
  readonly #sub: Subscriber;
  readonly #ownsPub: boolean;
  readonly #options: Required<Omit<RedisTransportOptions, 'redis'>>;
  /** `{tag}` in front of every channel on a Cluster, '' otherwise. */
  readonly #tag: string;
  #started = false;
  #closed = false;
  /** A heartbeat dropped the subscriber connection and its socket has not closed yet. */
  #dropping = false;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: RedisTransportOptions) {
    super();
    checkOptions('RedisTransport', redisTransportSchema, options, requireRedis(''));
    this.#options = {
      commandTimeoutMs: options.commandTimeoutMs ?? DefaultRedisTransportOptions.commandTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DefaultRedisTransportOptions.heartbeatIntervalMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DefaultRedisTransportOptions.connectTimeoutMs,
      channelHashTag: options.channelHashTag ?? DefaultRedisTransportOptions.channelHashTag,
    };
    if (isRedisClient(options.redis)) {
      this.#pub = options.redis;
      this.#ownsPub = false;
    } else {
      const input = options.redis as string | RedisOptions | RedisClusterInput;
      this.#pub = createRedisClient(input, this.#options.commandTimeoutMs);
      this.#ownsPub = true;
    }
    this.#tag = this.#pub.isCluster ? `{${this.#options.channelHashTag}}` : '';
    this.#sub = this.#pub.isCluster
      ? new ShardedSubscriber(this.#pub as Cluster, this.#tag)
      : plainSubscriber(
          keepOpen(
            (this.#pub as Redis).duplicate({
              lazyConnect: true,
              autoResubscribe: false,
              enableOfflineQueue: true,
            }),
          ),
        );
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel.startsWith(this.#tag)) this.emit('message', channel.slice(this.#tag.length), message);
    });
    this.#sub.on('ready', () => {
      if (this.#started && !this.#closed) void this.#resubscribe();
    });
    this.#sub.on('close', () => {
      this.#dropping = false;
      if (this.#started && !this.#closed) this.markDown(new Error('Redis subscriber connection closed'));
    });
    // Reconnect attempts fail noisily while Redis is down; report only what happens while "up".
    const onError = (err: Error): void => {
      if (!this.isDown && !this.#closed) this.emit('error', err);
    };
    this.#sub.on('error', onError);
    if (this.#ownsPub) this.#pub.on('error', onError);
  }

  /**
   * The connection the transport publishes on: the client you passed, or the one it created (and
   * closes with the transport). Redis runs one connection's commands in order, so a command sent
   * on it before a publish has run when subscribers get the message. A `RedisFallbackManager` on
   * it can store a value and publish its event without waiting in between; the cache then does not
   * own the connection (closing the cache leaves it open), and its commands use this connection's
   * command timeout. On a Cluster the key and the channel may live on different nodes, so there is
   * no such order.
   *
   * @example
   * ```ts
   * const transport = new RedisTransport({ redis: process.env.REDIS_URL! });
   * const sync = new SyncClient({ transport });
   * const cache = new RedisFallbackManager({ redis: transport.client });
   * await sync.connect();
   * const config = { settings: { prefix: "!" }, modules: {}, version: 8 };
   * void cache.setJSON(cacheKeys.guildConfig('123'), config, { version: 8 }); // sent now
   * await sync.publish('config:update', { guildId: '123', settings: config.settings, version: 8 });
   * // every subscriber of config:update can already read version 8 from the cache
   * ```
   */
  get client(): Redis | Cluster {
    return this.#pub;
  }

  get healthy(): boolean {
    return !this.#closed && !this.isDown && this.#pub.status === 'ready' && this.#sub.status === 'ready';
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new ClosedError('transport');
    this.#started = true;
    try {
      await Promise.all([
        // On a Cluster this also opens every master's connection (see waitForReady).
        waitForReady(this.#pub, this.#options.connectTimeoutMs),
        this.#sub.start(this.#options.connectTimeoutMs),
      ]);
      if (this.channels.size > 0) await this.#sub.subscribe(this.#wire([...this.channels]));
    } catch (err) {
      this.markDown(toError(err));
      throw err;
    }
    this.#startHeartbeat();
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    const fresh = channels.filter((c) => !this.channels.has(c));
    for (const c of fresh) this.channels.add(c);
    if (fresh.length > 0 && this.#sub.status === 'ready') await this.#sub.subscribe(this.#wire(fresh));
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    const gone = channels.filter((c) => this.channels.delete(c));
    if (gone.length > 0 && this.#sub.status === 'ready') await this.#sub.unsubscribe(this.#wire(gone));
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.#closed) throw new ClosedError('transport');
    try {
      if (this.#tag === '') await this.#pub.publish(channel, message);
      else await (this.#pub as Cluster).spublish(this.#tag + channel, message);
    } catch (err) {
      // A timed-out publish means Redis hangs: mark the transport down at once (a FailoverTransport
      // then stops waiting out the timeout on every publish) and reconnect; 'up' follows when Redis
      // answers again, as after a heartbeat failure.
      if (!this.isDown && !this.#closed && /timed? ?out/i.test(toError(err).message)) {
        this.markDown(toError(err));
        this.#sub.drop();
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#sub.close();
    if (this.#ownsPub) await closeOwnedClient(this.#pub);
    this.removeAllListeners();
  }

  #wire(channels: readonly string[]): string[] {
    return channels.map((c) => this.#tag + c);
  }

  async #resubscribe(): Promise<void> {
    try {
      if (this.channels.size > 0) await this.#sub.subscribe(this.#wire([...this.channels]));
      this.markUp();
    } catch (err) {
      this.emit('error', toError(err));
    }
  }

  #startHeartbeat(): void {
    const every = this.#options.heartbeatIntervalMs;
    if (every <= 0 || this.#heartbeat) return;
    this.#heartbeat = setInterval(() => void this.#beat(), every);
    this.#heartbeat.unref();
  }

  async #beat(): Promise<void> {
    // While a dropped socket is still closing (a hung server never answers the FIN), beating again
    // would drop the same socket again: one more 'close' listener and timer on it each beat.
    if (this.#closed || this.#dropping || this.#sub.status !== 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#sub.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('Redis heartbeat timed out')),
            this.#options.commandTimeoutMs,
          );
        }),
      ]);
    } catch (err) {
      if (this.#closed) return;
      this.markDown(toError(err));
      // A hung server keeps the socket open: drop it so ioredis reconnects when Redis answers again.
      this.#dropping = true;
      this.#sub.drop();
    } finally {
      clearTimeout(timer);
    }
  }
}
