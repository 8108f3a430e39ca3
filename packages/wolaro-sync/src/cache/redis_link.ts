import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { ClosedError } from '../errors.js';
import {
  closeOwnedClient,
  createRedisClient,
  isRedisClient,
  waitForReady,
} from '../internal/redis_client.js';
import { toError } from '../internal/to_error.js';
import type { Logger } from '../logger.js';
import type { RedisClusterInput, RedisInput } from '../transports/redis.js';
import { CAS_SCRIPT } from './envelope.js';
import { CacheCommandTimeoutError, isOutageError, isTimeoutError } from './redis_ops.js';

type State = 'starting' | 'up' | 'down' | 'closed';

/** What {@link RedisLink} needs to know and tell. */
export interface RedisLinkOptions {
  redis: RedisInput;
  commandTimeoutMs: number;
  healthCheckIntervalMs: number;
  connectTimeoutMs: number;
  logger: Logger;
  /** Redis went away (called once per outage, after the warning is logged). */
  onDown(error: Error): void;
  /**
   * Redis answers again. Must send its commands synchronously (they then precede every caller's
   * next command) and resolve with an error if Redis failed again meanwhile.
   */
  onBack(downtimeMs: number): Promise<Error | undefined>;
}

/**
 * The Redis side of `RedisFallbackManager` (internal): the client (created or given), whether it
 * is usable, the per-call timeout, the health check and the outage/recovery transitions.
 *
 * States: `starting` (calls wait for the first connection, at most `connectTimeoutMs`), `up`
 * (calls go to Redis), `down` (calls do not touch Redis; probes run), `closed`.
 */
export class RedisLink {
  readonly client: Redis | Cluster;
  readonly #owns: boolean;
  readonly #ownTimer: boolean;
  readonly #options: RedisLinkOptions;
  readonly #health: NodeJS.Timeout;
  readonly #starting: Promise<void>;
  #state: State;
  #downSince = 0;
  #probe: NodeJS.Timeout | undefined;
  #recovering: Promise<void> | undefined;
  readonly #onReady = (): void => void this.#recover();
  readonly #onClose = (): void => {
    if (this.#state === 'up') this.markDown(new Error('Redis connection closed'));
  };
  readonly #onClientError = (err: Error): void =>
    this.#options.logger.debug({ err }, `Redis cache client: ${err.message}`);

  constructor(options: RedisLinkOptions) {
    this.#options = options;
    if (isRedisClient(options.redis)) {
      this.client = options.redis;
      this.#owns = false;
      const clientOptions = (
        this.client.isCluster ? (this.client as Cluster).options.redisOptions : this.client.options
      ) as { commandTimeout?: number } | undefined;
      this.#ownTimer = typeof clientOptions?.commandTimeout !== 'number';
    } else {
      const client = createRedisClient(
        options.redis as string | RedisOptions | RedisClusterInput,
        options.commandTimeoutMs,
      );
      // Reconnect at least once per health-check interval so the end of an outage is seen in time.
      const cap = Math.min(1000, options.healthCheckIntervalMs);
      const retry = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), cap);
      if (client.isCluster) (client as Cluster).options.clusterRetryStrategy = retry;
      else (client as Redis).options.retryStrategy = retry;
      client.on('error', this.#onClientError);
      this.client = client;
      this.#owns = true;
      this.#ownTimer = false;
    }
    this.client.on('ready', this.#onReady);
    this.client.on('close', this.#onClose);
    // A given Cluster that is ready may not have opened its masters' connections yet: wait for
    // them (as a Cluster that is not ready yet, and the transport, do), so that a first command
    // does not spend its short timeout connecting.
    const ready = this.client.status === 'ready' && !this.client.isCluster;
    this.#state = ready ? 'up' : 'starting';
    this.#starting = ready
      ? Promise.resolve()
      : waitForReady(this.client, options.connectTimeoutMs).then(
          () => {
            if (this.#state === 'starting') this.#state = 'up';
          },
          (err: unknown) => this.markDown(toError(err)),
        );
    this.#health = setInterval(() => this.#tick(), options.healthCheckIntervalMs);
    this.#health.unref();
  }

  get up(): boolean {
    return this.#state === 'up';
  }

  /** Settles once the first connection attempt did (connected, or fell back). */
  get started(): Promise<void> {
    return this.#starting;
  }

  /** Applies the per-call timeout (only needed for a given client without `commandTimeout`). */
  readonly timed = <T>(promise: Promise<T>): Promise<T> => {
    if (!this.#ownTimer) return promise;
    const ms = this.#options.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CacheCommandTimeoutError(ms)), ms);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  };

  /** Whether a call should go to Redis now (waits while starting; throws once closed). */
  async usable(): Promise<boolean> {
    if (this.#state === 'starting') await this.#starting;
    if (this.#state === 'closed') throw new ClosedError('cache');
    return this.#state === 'up';
  }

  /**
   * Classifies a failed call: `true` when Redis is unavailable (now marked down: use memory),
   * `false` when only this command failed (a reply error such as `WRONGTYPE`, logged).
   */
  failed(err: unknown): boolean {
    const error = toError(err);
    if (this.#state === 'closed') throw new ClosedError('cache');
    if (!isOutageError(error)) {
      this.#options.logger.warn({ err: error }, `Redis cache command failed: ${error.message}`);
      return false;
    }
    this.markDown(error);
    return true;
  }

  markDown(error: Error): void {
    if (this.#state !== 'up' && this.#state !== 'starting') return;
    this.#state = 'down';
    this.#downSince = Date.now();
    this.#options.logger.warn({ err: error }, 'Redis down, using memory cache');
    this.#options.onDown(error);
    // One early probe: a single slow command should not cost a whole interval in memory mode.
    clearTimeout(this.#probe);
    this.#probe = setTimeout(() => void this.#recover(), Math.min(1000, this.#options.healthCheckIntervalMs));
    this.#probe.unref();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearInterval(this.#health);
    clearTimeout(this.#probe);
    this.client.off('ready', this.#onReady);
    this.client.off('close', this.#onClose);
    if (!this.#owns) return;
    const client = this.client;
    // A connect attempt still in flight can fail after disconnect(): keep a listener so that late
    // error is swallowed instead of printed as ioredis's "Unhandled error event".
    client.off('error', this.#onClientError);
    client.on('error', () => {});
    await closeOwnedClient(client);
  }

  #tick(): void {
    if (this.#state === 'down') void this.#recover();
    else if (this.#state === 'up') {
      this.timed(this.client.ping()).catch((err: unknown) => {
        if (this.#state === 'up') this.markDown(toError(err));
      });
    }
  }

  #recover(): Promise<void> {
    if (this.#state !== 'down') return Promise.resolve();
    this.#recovering ??= this.#reconnect().finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  async #reconnect(): Promise<void> {
    try {
      await this.timed(this.client.ping());
    } catch (err) {
      // A hung server or a dead link keeps the socket "ready": drop it so ioredis reconnects.
      const error = toError(err);
      if (this.#owns && isTimeoutError(error) && this.client.status === 'ready') this.client.disconnect(true);
      return;
    }
    if (this.#state !== 'down') return;
    const downtimeMs = Date.now() - this.#downSince;
    this.#options.logger.info({ downtimeMs }, 'Redis reconnected');
    // A restarted Redis has an empty script cache: load the CAS script so the write-back needs no retry.
    await this.timed(this.client.script('LOAD', CAS_SCRIPT)).catch(() => {});
    if (this.#state !== 'down') return;
    const pending = this.#options.onBack(downtimeMs);
    this.#state = 'up';
    const error = await pending;
    if (error) this.markDown(error);
  }
}
