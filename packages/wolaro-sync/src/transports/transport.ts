import { EventEmitter } from 'eventemitter3';

/**
 * Events every transport emits.
 *
 * @example
 * ```ts
 * transport.on('up', ({ downtimeMs }) => console.log(`back after ${downtimeMs} ms`));
 * ```
 */
export interface TransportEvents {
  /** A raw message arrived on a subscribed channel. */
  message: (channel: string, raw: string) => void;
  /** The connection was lost; messages published meanwhile may be missed. */
  down: (error: Error) => void;
  /** Back after a `down`, subscriptions live again; `downtimeMs` is how long it was gone. */
  up: (info: { downtimeMs: number }) => void;
  /** A non-fatal error (logged by the client). */
  error: (error: Error) => void;
}

/**
 * The contract between `SyncClient` and a message bus. A transport moves raw strings on named
 * channels; parsing, validation and typing are the client's job. Implementations:
 * `MemoryTransport`, `RedisTransport`, `FailoverTransport`, and `PgNotifyTransport` in
 * `@wolaro/sync/pg`. The same contract test suite runs against each.
 *
 * @example
 * ```ts
 * const transport: Transport = new RedisTransport({ redis: 'redis://127.0.0.1:6379' });
 * await transport.connect();
 * transport.on('message', (channel, raw) => console.log(channel, raw));
 * await transport.subscribe(['config:update']);
 * await transport.publish('config:update', '{"guildId":"123","settings":{}}');
 * ```
 */
export interface Transport {
  /** Short name for logs and stats, e.g. `redis`, `memory`, `failover(redis,pg)`. */
  readonly name: string;
  /** Whether a publish is expected to succeed now. */
  readonly healthy: boolean;
  /** Connects; resolves when the transport can publish and subscribe. */
  connect(): Promise<void>;
  /** Subscribes to channels; resolves when the subscriptions are live. Idempotent. */
  subscribe(channels: readonly string[]): Promise<void>;
  /** Stops delivery of channels. */
  unsubscribe(channels: readonly string[]): Promise<void>;
  /** Publishes one raw message; rejects if it could not be handed to the bus. */
  publish(channel: string, message: string): Promise<void>;
  /** Closes what the transport created. */
  close(): Promise<void>;
  on<E extends keyof TransportEvents>(
    event: E,
    listener: EventEmitter.EventListener<TransportEvents, E>,
  ): this;
  off<E extends keyof TransportEvents>(
    event: E,
    listener?: EventEmitter.EventListener<TransportEvents, E>,
  ): this;
}

/**
 * Shared plumbing for transports: the event emitter, the subscribed channel set, and down/up
 * bookkeeping (so `up` carries the outage length and fires once per outage).
 *
 * @example
 * ```ts
 * class MyTransport extends BaseTransport { readonly name = 'mine'; ... }
 * ```
 */
export abstract class BaseTransport extends EventEmitter<TransportEvents> {
  /** Channels the caller asked for (re-established after a reconnect). */
  protected readonly channels = new Set<string>();
  #downSince: number | undefined;

  /** True between a `down` and the next `up`. */
  protected get isDown(): boolean {
    return this.#downSince !== undefined;
  }

  /** Records an outage (once) and emits `down`. */
  protected markDown(error: Error): void {
    if (this.#downSince !== undefined) return;
    this.#downSince = Date.now();
    this.emit('down', error);
  }

  /** Ends an outage, if any, and emits `up` with its length. */
  protected markUp(): void {
    if (this.#downSince === undefined) return;
    const downtimeMs = Date.now() - this.#downSince;
    this.#downSince = undefined;
    this.emit('up', { downtimeMs });
  }
}

/** Turns anything thrown into an Error. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
