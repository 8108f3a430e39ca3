import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import { ClosedError, PgUnavailableError } from '../errors.js';
import { BaseTransport } from '../internal/base_transport.js';
import { checkOptions, durationMs, type OptionsCheck } from '../internal/options.js';
import { toError } from '../internal/to_error.js';
import { connected } from './connected.js';

/**
 * Options of {@link PgNotifyTransport}. Give a `pool` (stays yours) or a `connectionString`.
 *
 * @example
 * ```ts
 * new PgNotifyTransport({ pool });
 * new PgNotifyTransport({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgNotifyTransportOptions {
  /** A pool to publish through; the LISTEN connection uses the same settings. */
  pool?: pg.Pool;
  /** Used when no pool is given; the transport then creates and closes its own pool. */
  connectionString?: string;
  /**
   * Delay before reconnecting the LISTEN connection after it is lost (doubles up to 5 s).
   * @defaultValue 100
   */
  reconnectDelayMs?: number;
  /**
   * Most messages whose chunks are still arriving; past it the oldest one is dropped (counted in
   * the client's `stats().invalid`). Anyone who can `NOTIFY` can send chunk headers: this bounds
   * what they cost each listener.
   * @defaultValue 64
   */
  maxPendingMessages?: number;
  /**
   * Most bytes of chunk data held for messages still incomplete; past it the oldest messages are
   * dropped. Keep it above the client's `maxPayloadBytes`, or large messages never complete.
   * @defaultValue 4194304 (4 MiB)
   */
  maxPendingBytes?: number;
  /**
   * How long the chunks of one message may take to all arrive before it is dropped (they are sent
   * in one statement, so they normally arrive together).
   * @defaultValue 10000
   */
  chunkTimeoutMs?: number;
  /**
   * Longest wait for the LISTEN connection to open, when the pool sets no
   * `connectionTimeoutMillis` of its own; the attempt then fails and is retried with back-off.
   * @defaultValue 5000
   */
  connectTimeoutMs?: number;
  /**
   * Client-side limit of each publish (`SELECT pg_notify(…)`): a publish without an answer by
   * then rejects, so a hung server never stalls the publisher (the failover transport moves on).
   * `0` turns it off.
   * @defaultValue 5000
   */
  queryTimeoutMs?: number;
}

/**
 * Counters of a {@link PgNotifyTransport}'s chunk reassembly.
 *
 * @example
 * ```ts
 * const { pendingMessages, pendingBytes, droppedMessages } = transport.stats();
 * ```
 */
export interface PgNotifyTransportStats {
  /** Messages whose chunks are still arriving. */
  pendingMessages: number;
  /** Bytes of chunk data held for them. */
  pendingBytes: number;
  /** Incomplete messages dropped (evicted over a bound, or timed out). */
  droppedMessages: number;
}

/**
 * Defaults of {@link PgNotifyTransportOptions}.
 *
 * @example
 * ```ts
 * DefaultPgNotifyTransportOptions.queryTimeoutMs; // 5000
 * new PgNotifyTransport({ pool, maxPendingBytes: DefaultPgNotifyTransportOptions.maxPendingBytes * 2 });
 * ```
 */
export const DefaultPgNotifyTransportOptions = {
  reconnectDelayMs: 100,
  maxPendingMessages: 64,
  maxPendingBytes: 4 * 1024 * 1024,
  chunkTimeoutMs: 10_000,
  connectTimeoutMs: 5000,
  queryTimeoutMs: 5000,
} as const satisfies Omit<Required<PgNotifyTransportOptions>, 'pool' | 'connectionString'>;

const nonNegativeMs = z.number().int('must be an integer').nonnegative('must be >= 0');

const pgNotifySchema = z.object({
  pool: z
    .custom<object>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { query?: unknown }).query === 'function',
      'must be a pg.Pool',
    )
    .optional(),
  connectionString: z.string().min(1, 'must not be empty').optional(),
  reconnectDelayMs: durationMs.optional(),
  maxPendingMessages: z.number().int().positive().optional(),
  maxPendingBytes: z.number().int().min(8000, 'must be at least 8000 (one chunk)').optional(),
  chunkTimeoutMs: durationMs.optional(),
  connectTimeoutMs: nonNegativeMs.optional(),
  queryTimeoutMs: nonNegativeMs.optional(),
});

const onePool: OptionsCheck = (o) => {
  const pool = o['pool'] !== undefined;
  const url = o['connectionString'] !== undefined;
  if (pool && url) return ['pool: give either `pool` or `connectionString`, not both'];
  if (pool || url) return [];
  const why =
    'connectionString' in o
      ? 'connectionString: is undefined (an unset environment variable?)'
      : 'pool: is required';
  return [`${why}: give a pg.Pool or a connectionString`];
};

/**
 * Postgres NOTIFY carries at most 8000 bytes; larger messages go out as chunks of this many
 * bytes at most, all in one statement, so they commit (and arrive) together.
 */
export const NOTIFY_CHUNK_BYTES = 7800;
const CHUNK_MARK = '~wsc1:';
// 2600 UTF-16 code units are at most 7800 UTF-8 bytes.
const CHUNK_CHARS = Math.floor(NOTIFY_CHUNK_BYTES / 3);

/**
 * Splits a message into NOTIFY-sized chunks (`~wsc1:{id}:{i}:{n}:{data}`), or returns it as is when it
 * fits. Exported for tests and for other languages' publishers.
 *
 * @example
 * ```ts
 * splitForNotify('{"guildId":"1"}'); // ['{"guildId":"1"}']
 * ```
 */
export function splitForNotify(message: string): string[] {
  if (message.length <= CHUNK_CHARS || Buffer.byteLength(message) <= NOTIFY_CHUNK_BYTES) return [message];
  const bounds = [0];
  for (let at = 0; at < message.length; ) {
    let next = Math.min(at + CHUNK_CHARS, message.length);
    // Never split a surrogate pair between two chunks.
    if (next < message.length && isHighSurrogate(message.charCodeAt(next - 1))) next -= 1;
    bounds.push(next);
    at = next;
  }
  const id = randomUUID();
  const count = bounds.length - 1;
  const chunks: string[] = [];
  for (let i = 0; i < count; i++) {
    chunks.push(`${CHUNK_MARK}${id}:${i}:${count}:${message.slice(bounds[i], bounds[i + 1])}`);
  }
  return chunks;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

interface PendingChunks {
  /** Chunk index → data; a Map, so a forged header claiming 10,000 chunks costs nothing up front. */
  parts: Map<number, string>;
  count: number;
  bytes: number;
  channel: string;
  timer: NodeJS.Timeout;
}

/**
 * Postgres LISTEN/NOTIFY transport: real-time sync with no Redis, and the second leg of a
 * `FailoverTransport` so panels keep updating while Redis is down. Messages over the 8000-byte
 * NOTIFY limit are split and reassembled. Needs a real Postgres (embedded PGlite does not deliver
 * NOTIFY across connections).
 *
 * A plain `NOTIFY "config:update", '{"guildId":"123","settings":{}}'` from psql is received too.
 *
 * @example
 * ```ts
 * import { SyncClient } from '@wolaro/sync';
 * import { PgNotifyTransport } from '@wolaro/sync/pg';
 *
 * const sync = new SyncClient({ transport: new PgNotifyTransport({ pool }) });
 * await sync.connect();
 * ```
 */
export class PgNotifyTransport extends BaseTransport {
  readonly name = 'pg';
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #baseDelay: number;
  readonly #connectTimeoutMs: number;
  readonly #queryTimeoutMs: number;
  readonly #limits: { messages: number; bytes: number; timeoutMs: number };
  /** Incomplete chunked messages, oldest first (Map keeps insertion order). */
  readonly #pending = new Map<string, PendingChunks>();
  #pendingBytes = 0;
  #dropped = 0;
  #listener: pg.Client | undefined;
  #listenerReady = false;
  #closed = false;
  #started = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: PgNotifyTransportOptions) {
    super();
    checkOptions('PgNotifyTransport', pgNotifySchema, options, onePool);
    if (options.pool) {
      this.#pool = options.pool;
      this.#ownsPool = false;
    } else if (options.connectionString) {
      this.#pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
      this.#pool.on('error', (err) => this.emit('error', err));
      this.#ownsPool = true;
    } else {
      throw new TypeError('PgNotifyTransport needs a `pool` or a `connectionString`');
    }
    const d = DefaultPgNotifyTransportOptions;
    this.#baseDelay = options.reconnectDelayMs ?? d.reconnectDelayMs;
    this.#limits = {
      messages: options.maxPendingMessages ?? d.maxPendingMessages,
      bytes: options.maxPendingBytes ?? d.maxPendingBytes,
      timeoutMs: options.chunkTimeoutMs ?? d.chunkTimeoutMs,
    };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? d.connectTimeoutMs;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? d.queryTimeoutMs;
  }

  /**
   * Counters of the chunk reassembly.
   *
   * @example
   * ```ts
   * metrics.notifyPending.set(transport.stats().pendingBytes);
   * ```
   */
  stats(): PgNotifyTransportStats {
    return {
      pendingMessages: this.#pending.size,
      pendingBytes: this.#pendingBytes,
      droppedMessages: this.#dropped,
    };
  }

  get healthy(): boolean {
    return !this.#closed && this.#listenerReady && !this.isDown;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new ClosedError('transport');
    this.#started = true;
    try {
      await this.#openListener();
    } catch (err) {
      this.markDown(toError(err));
      this.#scheduleReconnect();
      if (this.#closed) throw new ClosedError('transport');
      throw new PgUnavailableError(this.#address(), { cause: err });
    }
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    const fresh = channels.filter((c) => !this.channels.has(c));
    for (const c of fresh) this.channels.add(c);
    const client = this.#listener;
    if (fresh.length > 0 && client && this.#listenerReady) {
      await client.query(fresh.map((c) => `LISTEN ${client.escapeIdentifier(c)}`).join('; '));
    }
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    const gone = channels.filter((c) => this.channels.delete(c));
    const client = this.#listener;
    if (gone.length > 0 && client && this.#listenerReady) {
      await client.query(gone.map((c) => `UNLISTEN ${client.escapeIdentifier(c)}`).join('; '));
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.#closed) throw new ClosedError('transport');
    const chunks = splitForNotify(message);
    // Pooled connections commit in any order; chaining keeps one publisher's events in order.
    const timeout = this.#queryTimeoutMs > 0 ? { query_timeout: this.#queryTimeoutMs } : {};
    const sent = this.#tail.then(() =>
      chunks.length === 1
        ? this.#pool.query({ text: 'SELECT pg_notify($1, $2)', values: [channel, message], ...timeout })
        : // One statement: every chunk is sent at commit, together.
          this.#pool.query({
            text: 'SELECT pg_notify($1, c) FROM unnest($2::text[]) AS c',
            values: [channel, chunks],
            ...timeout,
          }),
    );
    this.#tail = sent.catch(() => {});
    await sent;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
    this.#pendingBytes = 0;
    const listener = this.#listener;
    this.#listener = undefined;
    this.#listenerReady = false;
    if (listener) await listener.end().catch(() => {});
    if (this.#ownsPool) await this.#pool.end().catch(() => {});
    this.removeAllListeners();
  }

  async #openListener(): Promise<void> {
    const client = new pg.Client({ ...this.#clientConfig(), keepAlive: true });
    client.on('notification', (n) => {
      if (n.payload !== undefined) this.#onNotification(n.channel, n.payload);
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('Postgres LISTEN connection ended')));
    this.#listener = client;
    await connected(client);
    if (this.channels.size > 0) {
      await client.query([...this.channels].map((c) => `LISTEN ${client.escapeIdentifier(c)}`).join('; '));
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#listenerReady = true;
    this.#attempt = 0;
    this.markUp();
  }

  /** `host:port` the LISTEN connection goes to (a pg.Client parses the config without connecting). */
  #address(): string {
    const client = new pg.Client(this.#clientConfig());
    return `${client.host}:${client.port}`;
  }

  #clientConfig(): pg.ClientConfig {
    // pg.Pool keeps the options it was built with; the LISTEN connection uses the same ones.
    const {
      max: _max,
      idleTimeoutMillis: _idle,
      ...config
    } = (this.#pool as unknown as { options: pg.PoolConfig }).options;
    return { ...config, connectionTimeoutMillis: config.connectionTimeoutMillis || this.#connectTimeoutMs };
  }

  #lost(client: pg.Client, err: Error): void {
    if (this.#closed || this.#listener !== client) return;
    this.#listener = undefined;
    this.#listenerReady = false;
    client.end().catch(() => {});
    if (this.#started) {
      this.markDown(err);
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = Math.min(this.#baseDelay * 2 ** this.#attempt++, 5000);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#openListener().catch((err: unknown) => {
        if (this.#listener) {
          const failed = this.#listener;
          this.#listener = undefined;
          failed.end().catch(() => {});
        }
        this.emit('error', toError(err));
        this.#scheduleReconnect();
      });
    }, delay);
    this.#reconnectTimer.unref();
  }

  #onNotification(channel: string, payload: string): void {
    if (!payload.startsWith(CHUNK_MARK)) {
      this.emit('message', channel, payload);
      return;
    }
    const header = /^~wsc1:([0-9a-f-]{36}):(\d{1,6}):(\d{1,6}):/.exec(payload);
    const count = Number(header?.[3]);
    const index = Number(header?.[2]);
    if (!header || !(count > 0 && count <= 10_000 && index < count)) {
      this.emit('message', channel, payload); // the client will refuse it as invalid and count it
      return;
    }
    const key = `${channel}\u0000${header[1]}`;
    const pending = this.#pending.get(key) ?? this.#startPending(key, channel, count);
    if (pending.count !== count || pending.parts.has(index)) return;
    const data = payload.slice(header[0].length);
    const bytes = Buffer.byteLength(data);
    pending.parts.set(index, data);
    pending.bytes += bytes;
    this.#pendingBytes += bytes;
    if (pending.parts.size === count) {
      this.#forget(key, pending);
      let message = '';
      for (let i = 0; i < count; i++) message += pending.parts.get(i);
      this.emit('message', channel, message);
      return;
    }
    while (this.#pendingBytes > this.#limits.bytes) {
      if (!this.#evictOldest(`over maxPendingBytes (${this.#limits.bytes})`)) break;
    }
  }

  #startPending(key: string, channel: string, count: number): PendingChunks {
    while (this.#pending.size >= this.#limits.messages) {
      this.#evictOldest(`over maxPendingMessages (${this.#limits.messages})`);
    }
    const timer = setTimeout(() => {
      const expired = this.#pending.get(key);
      if (expired) this.#drop(key, expired, `incomplete after ${this.#limits.timeoutMs} ms`);
    }, this.#limits.timeoutMs);
    timer.unref();
    const pending: PendingChunks = { parts: new Map(), count, bytes: 0, channel, timer };
    this.#pending.set(key, pending);
    return pending;
  }

  #evictOldest(why: string): boolean {
    const oldest = this.#pending.entries().next();
    if (oldest.done) return false;
    this.#drop(oldest.value[0], oldest.value[1], `evicted: ${why}`);
    return true;
  }

  #forget(key: string, pending: PendingChunks): void {
    clearTimeout(pending.timer);
    this.#pending.delete(key);
    this.#pendingBytes -= pending.bytes;
  }

  #drop(key: string, pending: PendingChunks, why: string): void {
    this.#forget(key, pending);
    this.#dropped++;
    const id = key.slice(key.indexOf('\u0000') + 1);
    this.emit(
      'invalid',
      pending.channel,
      `chunked message ${why}: ${pending.parts.size} of ${pending.count} chunks`,
      `${CHUNK_MARK}${id}`,
    );
  }
}
