import type { EventEmitter } from 'eventemitter3';

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
  /**
   * Something that arrived was dropped by the transport itself (e.g. an incomplete set of NOTIFY
   * chunks): the client counts it in `stats().invalid`. `sample` is the start of what was dropped.
   */
  invalid: (channel: string, reason: string, sample: string) => void;
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
