import { DEFAULT_MAX_PAYLOAD_BYTES } from '../channels/codec.js';
import type { ChannelMap } from '../channels/define.js';
import type { Logger } from '../logger.js';
import type { RedisInput } from '../transports/redis.js';
import type { Transport } from '../transports/transport.js';

/**
 * Options of {@link SyncClient}. Give `redis` (the common case) or any `transport`; with neither
 * the client uses the in-process `MemoryTransport` (bot and API in one process).
 *
 * @example
 * ```ts
 * const options: SyncClientOptions = { redis: process.env.REDIS_URL, keyPrefix: 'prod:', logger: pino() };
 * ```
 */
export interface SyncClientOptions<M extends ChannelMap = Record<never, never>> {
  /** A Redis URL, ioredis options, or an ioredis `Redis`/`Cluster` (stays yours). Shortcut for `transport: new RedisTransport({ redis })`. */
  redis?: RedisInput;
  /**
   * The message bus. The client closes it on `close()`.
   * @defaultValue `new MemoryTransport()` when `redis` is not given either
   */
  transport?: Transport;
  /** Your own channels from `defineChannels`, added to the five built-in ones. */
  channels?: M;
  /**
   * Prefix in front of every channel name on the wire, to share one Redis between environments.
   * @defaultValue `''`
   */
  keyPrefix?: string;
  /**
   * Which channels to subscribe to on `connect()`: `true` for all, `false` for none (publish only),
   * or a list.
   * @defaultValue `true`
   */
  listen?: boolean | readonly string[];
  /**
   * Largest message accepted on the wire (bytes); larger ones are refused on publish and dropped
   * on receipt.
   * @defaultValue 262144 (256 KiB)
   */
  maxPayloadBytes?: number;
  /**
   * Identifies this process in published events (`origin`).
   * @defaultValue `{hostname}:{pid}`
   */
  origin?: string;
  /**
   * A pino-compatible logger.
   * @defaultValue silent
   */
  logger?: Logger;
}

/** Defaults of {@link SyncClientOptions}. */
export const DefaultSyncClientOptions = {
  keyPrefix: '',
  listen: true,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
} as const satisfies Partial<SyncClientOptions>;
