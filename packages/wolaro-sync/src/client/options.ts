import { DEFAULT_MAX_PAYLOAD_BYTES } from '../channels/codec.js';
import type { ChannelMap } from '../channels/define.js';
import type { Logger } from '../logger.js';
import type { RedisInput } from '../transports/redis.js';
import type { Transport } from '../transports/transport.js';

/**
 * Options of {@link SyncClient}. Give exactly one of `redis` (the common case) or `transport`. The
 * in-process bus is never chosen by accident: ask for it with `transport: 'memory'` (or
 * `redis: false`). Checked at construction: a mistake throws one `InvalidOptionsError` listing
 * every problem.
 *
 * @example
 * ```ts
 * const options: SyncClientOptions = { redis: 'redis://127.0.0.1:6379', keyPrefix: 'prod:', connectTimeoutMs: 3000 };
 * const embedded: SyncClientOptions = { transport: 'memory' }; // bot and API in one process
 * const signed: SyncClientOptions = { redis: 'redis://127.0.0.1:6379', signingKey: process.env.SYNC_SIGNING_KEY };
 * ```
 */
export interface SyncClientOptions<M extends ChannelMap = Record<never, never>> {
  /**
   * A Redis URL, ioredis options, or an ioredis `Redis`/`Cluster` (stays yours). Shortcut for
   * `transport: new RedisTransport({ redis, connectTimeoutMs })`. `false` means the in-process bus
   * (same as `transport: 'memory'`).
   */
  redis?: RedisInput | false;
  /**
   * The message bus (the client closes it on `close()`), or `'memory'` for a `MemoryTransport` on
   * the process-wide bus (bot and API in one process, tests).
   */
  transport?: Transport | 'memory';
  /**
   * With `redis`: how long `connect()` waits for Redis before rejecting with a
   * `RedisUnavailableError` (`E_REDIS_UNAVAILABLE`, naming `host:port`, with the connection error as
   * `cause`). With your own `transport`, set its own timeout instead.
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /** Your own channels from `defineChannels`, added to the six built-in ones. */
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
  /**
   * Signs every published message (HMAC-SHA256 over the channel and the encoded message) and
   * drops every received message that is unsigned or not signed by an accepted key: they are
   * counted in `stats().invalid`, emitted as `'invalid'` and logged at warn (at most once a
   * second). Works the same on every transport (Redis, Postgres NOTIFY, failover). Give the same
   * key to every process of the deployment; a key is at least 32 characters. Without it, messages
   * are neither signed nor checked (and a signature on a received message is ignored).
   * @defaultValue none: no signing
   */
  signingKey?: string | SigningKeys;
}

/**
 * Keys of a signing bus during a key rotation: `current` signs what this process publishes,
 * and a message signed by `current` or by any key of `accept` is accepted.
 *
 * Rotation without losing a message: give every process `{ current: old, accept: [next] }`,
 * then `{ current: next, accept: [old] }`, then `next` alone.
 *
 * @example
 * ```ts
 * const sync = new SyncClient({
 *   redis: process.env.REDIS_URL,
 *   signingKey: { current: process.env.SYNC_SIGNING_KEY!, accept: [process.env.SYNC_SIGNING_KEY_OLD!] },
 * });
 * ```
 */
export interface SigningKeys {
  /** The key this process signs with (at least 32 characters). */
  readonly current: string;
  /** Other keys whose signatures are accepted too (at least 32 characters each). */
  readonly accept?: readonly string[];
}

/**
 * Shortest signing key accepted, in characters (an HMAC-SHA256 key should carry 256 bits).
 *
 * @example
 * ```ts
 * if ((process.env.SYNC_SIGNING_KEY ?? '').length < MIN_SIGNING_KEY_LENGTH) throw new Error('key too short');
 * ```
 */
export const MIN_SIGNING_KEY_LENGTH = 32;

/** Defaults of {@link SyncClientOptions}. */
export const DefaultSyncClientOptions = {
  keyPrefix: '',
  listen: true,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
} as const satisfies Partial<SyncClientOptions>;
