import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import { ClosedError } from '../errors.js';
import { BaseTransport } from '../internal/base_transport.js';
import { checkOptions, durationMs, redisInputSchema, requireRedis } from '../internal/options.js';
import { createRedisClient, isRedisClient, waitForReady } from '../internal/redis_client.js';
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
 * Anything `@wolaro/sync` accepts as "a Redis": a URL, ioredis options, or an existing ioredis
 * `Redis` or `Cluster` (which stays yours: the SDK never closes a client it did not create).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const a: RedisInput = 'redis://127.0.0.1:6379';
 * const b: RedisInput = { host: '127.0.0.1', port: 6379, password: 'secret' };
 * const c: RedisInput = new Redis({ lazyConnect: true });
 * ```
 */
export type RedisInput = string | RedisOptions | RedisClientLike;

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
}

/** Defaults of {@link RedisTransportOptions}. */
export const DefaultRedisTransportOptions = {
  commandTimeoutMs: 1000,
  heartbeatIntervalMs: 5000,
  connectTimeoutMs: 10_000,
} as const satisfies Required<Omit<RedisTransportOptions, 'redis'>>;

const redisTransportSchema = z.object({
  redis: redisInputSchema.optional(),
  commandTimeoutMs: durationMs.optional(),
  heartbeatIntervalMs: z.union([z.literal(0), durationMs]).optional(),
  connectTimeoutMs: durationMs.optional(),
});

/**
 * Redis pub/sub transport: one connection publishes, a duplicate subscribes. After a reconnect it
 * subscribes again and emits `up` (the client turns that into `'resync'`); a heartbeat notices a
 * Redis that hangs without closing the socket.
 *
 * @example
 * ```ts
 * const sync = new SyncClient({ transport: new RedisTransport({ redis: 'redis://127.0.0.1:6379' }) });
 * // same as: new SyncClient({ redis: 'redis://127.0.0.1:6379' })
 * ```
 */
export class RedisTransport extends BaseTransport {
  readonly name = 'redis';
  readonly #pub: Redis | Cluster;
  readonly #sub: Redis | Cluster;
  readonly #ownsPub: boolean;
  readonly #options: Required<Omit<RedisTransportOptions, 'redis'>>;
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
    };
    if (isRedisClient(options.redis)) {
      this.#pub = options.redis;
      this.#ownsPub = false;
    } else {
      const input = options.redis as string | RedisOptions;
      this.#pub = createRedisClient(input, this.#options.commandTimeoutMs);
      this.#ownsPub = true;
    }
    const subOverrides = { lazyConnect: true, autoResubscribe: false, enableOfflineQueue: true } as const;
    this.#sub = this.#pub.isCluster
      ? (this.#pub as Cluster).duplicate([], { lazyConnect: true, redisOptions: subOverrides })
      : (this.#pub as Redis).duplicate(subOverrides);

    this.#sub.on('message', (channel: string, message: string) => this.emit('message', channel, message));
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

  get healthy(): boolean {
    return !this.#closed && !this.isDown && this.#pub.status === 'ready' && this.#sub.status === 'ready';
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new ClosedError('transport');
    this.#started = true;
    try {
      await Promise.all([
        waitForReady(this.#pub, this.#options.connectTimeoutMs),
        waitForReady(this.#sub, this.#options.connectTimeoutMs),
      ]);
      if (this.channels.size > 0) await this.#sub.subscribe(...this.channels);
    } catch (err) {
      this.markDown(toError(err));
      throw err;
    }
    this.#startHeartbeat();
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    const fresh = channels.filter((c) => !this.channels.has(c));
    for (const c of fresh) this.channels.add(c);
    if (fresh.length > 0 && this.#sub.status === 'ready') await this.#sub.subscribe(...fresh);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    const gone = channels.filter((c) => this.channels.delete(c));
    if (gone.length > 0 && this.#sub.status === 'ready') await this.#sub.unsubscribe(...gone);
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.#closed) throw new ClosedError('transport');
    try {
      await this.#pub.publish(channel, message);
    } catch (err) {
      // A timed-out publish means Redis hangs: mark the transport down at once (a FailoverTransport
      // then stops waiting out the timeout on every publish) and reconnect; 'up' follows when Redis
      // answers again, as after a heartbeat failure.
      if (!this.isDown && !this.#closed && /timed? ?out/i.test(toError(err).message)) {
        this.markDown(toError(err));
        this.#sub.disconnect(true);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#sub.disconnect();
    if (this.#ownsPub) {
      if (this.#pub.status === 'ready') await this.#pub.quit().catch(() => this.#pub.disconnect());
      else this.#pub.disconnect();
    }
    this.removeAllListeners();
  }

  async #resubscribe(): Promise<void> {
    try {
      if (this.channels.size > 0) await this.#sub.subscribe(...this.channels);
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
      this.#sub.disconnect(true);
    } finally {
      clearTimeout(timer);
    }
  }
}
