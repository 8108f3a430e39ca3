import { EventEmitter } from 'eventemitter3';
import type { Cluster, Redis } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import { redisAddress } from './redis_address.js';
import { closeOwnedClient, waitForReady } from './redis_client.js';
import { toError } from './to_error.js';

/** Events of a {@link Subscriber}. */
export interface SubscriberEvents {
  message: (channel: string, message: string) => void;
  /** Connected (again): the transport subscribes to its channels now. */
  ready: () => void;
  /** The connection was lost; it comes back by itself (`ready` again). */
  close: () => void;
  error: (error: Error) => void;
}

/** The subscriber connection of a `RedisTransport`: plain pub/sub, or sharded on a Cluster. */
export interface Subscriber {
  readonly status: string;
  /** Connects; rejects with a `RedisUnavailableError` after `timeoutMs` (and keeps trying). */
  start(timeoutMs: number): Promise<void>;
  subscribe(channels: readonly string[]): Promise<unknown>;
  unsubscribe(channels: readonly string[]): Promise<unknown>;
  ping(): Promise<unknown>;
  /** Drops the connection (a hung server); it reconnects by itself. */
  drop(): void;
  /** Closes for good. */
  close(): void;
  on<E extends keyof SubscriberEvents>(
    event: E,
    listener: EventEmitter.EventListener<SubscriberEvents, E>,
  ): unknown;
}

/** `SUBSCRIBE` on a duplicate of the publishing client (one Redis, or Sentinel). */
export function plainSubscriber(client: Redis): Subscriber {
  return {
    get status() {
      return client.status;
    },
    start: (timeoutMs) => waitForReady(client, timeoutMs),
    subscribe: (channels) => client.subscribe(...channels),
    unsubscribe: (channels) => client.unsubscribe(...channels),
    ping: () => client.ping(),
    drop: () => client.disconnect(true),
    close: () => void closeOwnedClient(client, { quit: false }),
    on(event, listener) {
      return client.on(event, listener as (...args: unknown[]) => void);
    },
  };
}

const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 1000);
const nodeKey = (n: Redis): string => `${n.options.host}:${n.options.port}`;

/**
 * Sharded pub/sub on a Redis Cluster: every channel of the bus carries the same hash tag, so they
 * live in one slot and one connection to the master that owns it (`SSUBSCRIBE`) hears them all.
 *
 * ioredis' own cluster subscriber does not follow a slot that moves, so this one does it itself:
 * when the connection closes (the master died), when the server unsubscribes it (the slot was
 * migrated, or its node was demoted: Redis 7 sends `sunsubscribe`), when a command is `MOVED`, or
 * when a heartbeat finds another owner in a fresh slot map, it refreshes the slot map, connects to
 * the new owner (retrying with backoff while the cluster fails over) and emits `ready`; the
 * transport then subscribes again and reports the outage (`resync`).
 */
export class ShardedSubscriber extends EventEmitter<SubscriberEvents> implements Subscriber {
  readonly #cluster: Cluster;
  readonly #slotKey: string;
  #slot: number | undefined;
  #conn: Redis | undefined;
  #status: 'wait' | 'connecting' | 'ready' | 'end' = 'wait';
  #opening = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #lastError: Error | undefined;

  /** `slotKey` is any name with the bus's hash tag, e.g. `{wolaro}`. */
  constructor(cluster: Cluster, slotKey: string) {
    super();
    this.#cluster = cluster;
    this.#slotKey = slotKey;
  }

  get status(): string {
    return this.#status;
  }

  async start(timeoutMs: number): Promise<void> {
    if (this.#status === 'ready') return;
    const deadline = Date.now() + timeoutMs;
    await waitForReady(this.#cluster, timeoutMs);
    this.#open(false);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.off('ready', onReady);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => done();
      const address = redisAddress(this.#cluster);
      const timer = setTimeout(
        () => {
          const why = this.#lastError ? `: ${this.#lastError.message}` : '';
          const message = `Redis unavailable at ${address}: no subscriber connection to the owner of ${this.#slotKey} after ${timeoutMs} ms${why}`;
          done(
            new RedisUnavailableError(
              address,
              message,
              this.#lastError ? { cause: this.#lastError } : undefined,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      if (this.#status === 'ready') done();
      else this.on('ready', onReady);
    });
  }

  subscribe(channels: readonly string[]): Promise<unknown> {
    return this.#ready().ssubscribe(...channels);
  }

  unsubscribe(channels: readonly string[]): Promise<unknown> {
    return this.#ready().sunsubscribe(...channels);
  }

  async ping(): Promise<unknown> {
    const reply = await this.#ready().ping();
    // Between failures, a slot can also move: check the owner in a fresh slot map now and then.
    void this.#checkOwner();
    return reply;
  }

  drop(): void {
    this.#conn?.disconnect();
  }

  close(): void {
    this.#status = 'end';
    clearTimeout(this.#retry);
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.disconnect();
    this.removeAllListeners();
  }

  #ready(): Redis {
    if (!this.#conn || this.#status !== 'ready') throw new Error('Redis subscriber is not connected');
    return this.#conn;
  }

  /** One attempt to reach the slot's owner; another is scheduled if it fails. */
  #open(refresh: boolean): void {
    if (this.#opening || this.#status === 'end') return;
    this.#opening = true;
    this.#status = 'connecting';
    this.#connectToOwner(refresh)
      .then((conn) => {
        if (this.#status === 'end') {
          conn.disconnect();
          return;
        }
        this.#conn = conn;
        this.#attempt = 0;
        this.#status = 'ready';
        this.emit('ready');
      })
      .catch((err: unknown) => {
        this.#lastError = toError(err);
        if (this.#status === 'end') return;
        this.#retry = setTimeout(() => this.#open(true), backoff(++this.#attempt));
        this.#retry.unref();
      })
      .finally(() => {
        this.#opening = false;
      });
  }

  async #owner(refresh: boolean): Promise<Redis> {
    if (refresh) await new Promise<void>((resolve) => this.#cluster.refreshSlotsCache(() => resolve()));
    this.#slot ??= Number(await this.#cluster.cluster('KEYSLOT', this.#slotKey));
    const key = this.#cluster.slots[this.#slot]?.[0];
    const node = this.#cluster.nodes('master').find((n) => nodeKey(n) === key);
    if (!node) throw new Error(`no master is known for slot ${this.#slot} (${this.#slotKey})`);
    return node;
  }

  async #connectToOwner(refresh: boolean): Promise<Redis> {
    const owner = await this.#owner(refresh);
    const conn = owner.duplicate({
      lazyConnect: true,
      autoResubscribe: false,
      enableOfflineQueue: true,
      // A lost connection is not retried: the owner may have changed, #open picks it again.
      retryStrategy: () => null,
      connectionName: 'wolaro-ssubscriber',
    });
    conn.on('smessage', (channel: string, message: string) => this.emit('message', channel, message));
    let leaving = false;
    const leave = (): void => {
      if (leaving) return;
      leaving = true;
      conn.disconnect();
    };
    conn.on('moved', leave);
    conn.on('error', (err: Error) => {
      // The server unsubscribed us (slot migrated or node demoted): ioredis reports each unexpected
      // `sunsubscribe` (one per channel) as an error. Leave once; the close handler finds the new owner.
      if (/sunsubscribe/i.test(err.message)) leave();
      else if (this.#conn === conn) this.emit('error', err);
    });
    conn.on('close', () => {
      if (this.#conn !== conn || this.#status === 'end') return;
      this.#conn = undefined;
      this.#status = 'connecting';
      this.emit('close');
      this.#retry = setTimeout(() => this.#open(true), backoff(0));
      this.#retry.unref();
    });
    try {
      await conn.connect();
    } catch (err) {
      conn.disconnect();
      throw err;
    }
    return conn;
  }

  async #checkOwner(): Promise<void> {
    const conn = this.#conn;
    if (!conn || this.#status !== 'ready') return;
    try {
      const owner = await this.#owner(true);
      if (this.#conn === conn && nodeKey(owner) !== nodeKey(conn)) conn.disconnect();
    } catch {
      // The next heartbeat tries again.
    }
  }
}
