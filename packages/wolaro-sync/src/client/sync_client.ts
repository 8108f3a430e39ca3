import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { type BuiltinChannels, builtinChannels } from '../channels/builtin.js';
import { decodePayload } from '../channels/codec.js';
import type { ChannelDefinition, ChannelMap } from '../channels/define.js';
import type {
  ChannelName,
  CommandExecutedEvent,
  ConfigUpdateEvent,
  GuildReloadEvent,
  ModuleToggleEvent,
  PayloadOf,
  PermissionRevokedEvent,
  PublishInput,
} from '../channels/types.js';
import { ClosedError, NotConnectedError, PublishFailedError, UnknownChannelError } from '../errors.js';
import { assertValidPrefix } from '../internal/key_prefix.js';
import { assertPublishable, parseForPublish } from '../internal/payload_check.js';
import { MessageSigner, stripSignature } from '../internal/signing.js';
import { toError } from '../internal/to_error.js';
import { type Logger, silentLogger } from '../logger.js';
import { MemoryTransport } from '../transports/memory.js';
import { type RedisInput, RedisTransport } from '../transports/redis.js';
import type { Transport } from '../transports/transport.js';
import { DefaultSyncClientOptions, type SigningKeys, type SyncClientOptions } from './options.js';
import { validateSyncClientOptions } from './validate_options.js';

/** The bus the (validated) options ask for. */
function createTransport(options: SyncClientOptions<ChannelMap>): Transport {
  if (options.transport === 'memory' || options.redis === false) return new MemoryTransport();
  if (options.transport) return options.transport;
  const { redis, connectTimeoutMs } = options as { redis: RedisInput; connectTimeoutMs?: number };
  return new RedisTransport(connectTimeoutMs === undefined ? { redis } : { redis, connectTimeoutMs });
}

/** The signer of a `signingKey` option, none without one. */
function signerOf(key: string | SigningKeys | undefined): MessageSigner | undefined {
  if (key === undefined) return undefined;
  return typeof key === 'string' ? new MessageSigner(key) : new MessageSigner(key.current, key.accept);
}

/**
 * A message that was refused on receipt, as emitted with `'invalid'`.
 *
 * @example
 * ```ts
 * sync.on('invalid', (e: InvalidMessage) => metrics.invalid.inc({ channel: e.channel }));
 * ```
 */
export interface InvalidMessage {
  /** The channel (without key prefix) it arrived on. */
  channel: string;
  /** Why it was refused, e.g. `not JSON` or `guildId: must be a Discord snowflake`. */
  reason: string;
  /** The first 200 characters of the raw message. */
  sample: string;
}

/**
 * Counters of a {@link SyncClient}.
 *
 * @example
 * ```ts
 * const { received, invalid } = sync.stats();
 * ```
 */
export interface SyncClientStats {
  connected: boolean;
  transport: string;
  published: number;
  received: number;
  invalid: number;
  handlerErrors: number;
}

/**
 * Events of a {@link SyncClient}.
 *
 * @example
 * ```ts
 * sync.on('resync', ({ downtimeMs }) => configs.revalidateAll());
 * ```
 */
export interface SyncClientEvents {
  /** `connect()` finished: subscriptions are live. */
  ready: () => void;
  /**
   * A received message was dropped (not JSON, wrong shape, oversized, unknown channel, unsigned or
   * badly signed with a `signingKey`, or an incomplete NOTIFY chunk set the transport gave up).
   */
  invalid: (message: InvalidMessage) => void;
  /** A handler threw or a transport reported an error. Never thrown; safe to leave unhandled. */
  error: (error: Error) => void;
  /** The transport lost its connection; events may be missed until `'resync'`. */
  disconnected: (info: { transport: string; error: Error }) => void;
  /** The transport is back after an outage of `downtimeMs`: catch up on what was missed. */
  resync: (info: { transport: string; downtimeMs: number }) => void;
}

/**
 * Metadata passed to handlers beside the payload.
 *
 * @example
 * ```ts
 * sync.subscribe('guild:reload', (e, { channel }) => console.log(channel));
 * ```
 */
export interface DeliveryInfo {
  channel: string;
}

/**
 * A typed handler of channel `C`.
 *
 * @example
 * ```ts
 * const onUpdate: Handler<'config:update'> = (e) => console.log(e.settings);
 * ```
 */
export type Handler<C extends ChannelName<M>, M extends ChannelMap = BuiltinChannels> = (
  payload: PayloadOf<C, M>,
  info: DeliveryInfo,
) => void | Promise<void>;

type AnyHandler = (payload: unknown, info: DeliveryInfo) => void | Promise<void>;

/**
 * The real-time bus of Wolaro Sync: typed publish/subscribe over Redis (or any transport), with
 * six channels built in and your own added with `defineChannels`. Every
 * received message is parsed and validated; bad ones are dropped and counted, never thrown.
 *
 * @example
 * ```ts
 * import { SyncClient } from '@wolaro/sync';
 *
 * const sync = new SyncClient({ redis: process.env.REDIS_URL });
 * await sync.connect(); // subscriptions are live
 * const off = sync.subscribe('config:update', (e) => console.log(e.guildId, e.settings, e.version));
 * await sync.publishConfigUpdate('123', { prefix: '!' }, 7);
 * off();
 * await sync.close();
 * ```
 */
export class SyncClient<M extends ChannelMap = Record<never, never>> extends EventEmitter<SyncClientEvents> {
  readonly #transport: Transport;
  readonly #channels: Readonly<Record<string, ChannelDefinition>>;
  readonly #defs: ReadonlyMap<string, ChannelDefinition>;
  readonly #handlers = new Map<string, Set<AnyHandler>>();
  readonly #prefix: string;
  readonly #listen: readonly string[];
  readonly #maxBytes: number;
  readonly #origin: string;
  readonly #logger: Logger;
  readonly #debug: boolean;
  readonly #signer: MessageSigner | undefined;
  #state: 'idle' | 'connecting' | 'connected' | 'closed' = 'idle';
  #lastInvalidLog = 0;
  #suppressedInvalid = 0;
  readonly #stats = { published: 0, received: 0, invalid: 0, handlerErrors: 0 };

  constructor(options: SyncClientOptions<M>) {
    super();
    validateSyncClientOptions(options);
    for (const name of Object.keys(options.channels ?? {})) {
      if (Object.hasOwn(builtinChannels, name))
        throw new TypeError(`Channel "${name}" is built in; pick another name`);
    }
    this.#channels = Object.freeze({ ...builtinChannels, ...options.channels });
    this.#defs = new Map(Object.entries(this.#channels));
    this.#prefix = assertValidPrefix(options.keyPrefix ?? DefaultSyncClientOptions.keyPrefix);
    this.#maxBytes = options.maxPayloadBytes ?? DefaultSyncClientOptions.maxPayloadBytes;
    this.#origin = options.origin ?? `${hostname()}:${process.pid}`;
    this.#logger = options.logger ?? silentLogger;
    this.#signer = signerOf(options.signingKey);
    // Build the debug line only when someone reads it: publish is a hot path.
    const levelCheck = (this.#logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
    this.#debug =
      this.#logger !== silentLogger &&
      (typeof levelCheck !== 'function' || levelCheck.call(this.#logger, 'debug'));
    const listen = options.listen ?? DefaultSyncClientOptions.listen;
    const names = [...this.#defs.keys()];
    if (Array.isArray(listen)) {
      for (const c of listen) if (!this.#defs.has(c)) throw new UnknownChannelError(c);
    }
    this.#listen = listen === true ? names : listen === false ? [] : [...(listen as readonly string[])];
    this.#transport = createTransport(options);
    this.#transport.on('message', (channel, raw) => this.#onMessage(channel, raw));
    this.#transport.on('invalid', (channel, reason, sample) =>
      this.#invalid(this.#unprefixed(channel) ?? channel, reason, sample),
    );
    this.#transport.on('error', (err) => {
      this.#logger.warn({ err, transport: this.#transport.name }, `Sync transport error: ${err.message}`);
      this.emit('error', err);
    });
    this.#transport.on('down', (error) => {
      this.#logger.warn({ err: error, transport: this.#transport.name }, 'Sync transport disconnected');
      this.emit('disconnected', { transport: this.#transport.name, error });
    });
    this.#transport.on('up', ({ downtimeMs }) => {
      this.#logger.info(
        { transport: this.#transport.name, downtimeMs },
        'Sync transport reconnected, resync',
      );
      this.emit('resync', { transport: this.#transport.name, downtimeMs });
    });
  }

  /** The transport this client publishes and listens on. */
  get transport(): Transport {
    return this.#transport;
  }

  /** Every channel this client knows (built-in and your own) with its definition. */
  get channels(): Readonly<Record<ChannelName<BuiltinChannels & M>, ChannelDefinition>> {
    return this.#channels as Readonly<Record<ChannelName<BuiltinChannels & M>, ChannelDefinition>>;
  }

  /** The key/channel prefix of this client. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** Whether `connect()` has finished and `close()` has not been called. */
  get connected(): boolean {
    return this.#state === 'connected';
  }

  /**
   * Connects the transport and subscribes to the `listen` channels. Resolves only when the
   * subscriptions are live, so an event published after it resolves is received.
   */
  async connect(): Promise<void> {
    if (this.#state === 'closed') throw new ClosedError();
    if (this.#state !== 'idle') return;
    this.#state = 'connecting';
    try {
      await this.#transport.connect();
      if (this.#listen.length > 0) await this.#transport.subscribe(this.#listen.map((c) => this.#prefix + c));
    } catch (err) {
      this.#state = 'idle';
      throw err;
    }
    this.#state = 'connected';
    // The line operators grep for; an in-process bus says so rather than pretending to be Redis.
    const line = this.#transport.name.includes('redis')
      ? 'Redis Pub/Sub initialized'
      : `Redis Pub/Sub initialized (${this.#transport.name} transport, no Redis)`;
    this.#logger.info({ transport: this.#transport.name, channels: this.#listen }, line);
    this.emit('ready');
  }

  /**
   * Adds a typed handler for a channel and returns a function that removes it. A handler that
   * throws or rejects is counted in `stats().handlerErrors` and logged; the others still run.
   *
   * @example
   * ```ts
   * const off = sync.subscribe('permission:revoked', ({ guildId, userId, reason }) => kick(userId, guildId, reason));
   * ```
   */
  subscribe<C extends ChannelName<BuiltinChannels & M>>(
    channel: C,
    handler: Handler<C, BuiltinChannels & M>,
  ): () => void {
    return this.subscribeUntyped(channel, handler as AnyHandler);
  }

  /**
   * {@link SyncClient.subscribe} for adapters that handle channels known only at run time (every
   * channel of `sync.channels`, say): the same delivery, with the payload typed `unknown`. An
   * unknown channel still throws `UnknownChannelError`.
   *
   * @example
   * ```ts
   * for (const channel of Object.keys(sync.channels)) {
   *   sync.subscribeUntyped(channel, (payload, info) => forward(info.channel, payload));
   * }
   * ```
   */
  subscribeUntyped(
    channel: string,
    handler: (payload: unknown, info: DeliveryInfo) => void | Promise<void>,
  ): () => void {
    if (!this.#defs.has(channel)) throw new UnknownChannelError(channel);
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /**
   * Validates and publishes an event. `timestamp` defaults to now and an `eventId` is added; the
   * sent payload is returned. Rejects with `InvalidPayloadError` on a bad payload and
   * `PublishFailedError` when the transport cannot take it.
   *
   * @example
   * ```ts
   * await sync.publish('module:toggle', { guildId: '123', module: 'welcome', enabled: true, version: 8 });
   * ```
   */
  publish<C extends ChannelName<BuiltinChannels & M>>(
    channel: C,
    data: PublishInput<C, BuiltinChannels & M>,
  ): Promise<PayloadOf<C, BuiltinChannels & M>> {
    return this.#send(channel, data) as Promise<PayloadOf<C, BuiltinChannels & M>>;
  }

  /**
   * {@link SyncClient.publish} for adapters that relay events whose channel is known only at run
   * time (stored outbox rows, say): the same validation against the channel's schema, the same
   * errors, with the payload typed `unknown`.
   *
   * @example
   * ```ts
   * const sent = await sync.publishUntyped(row.channel, row.payload);
   * ```
   */
  publishUntyped(channel: string, data: unknown): Promise<Record<string, unknown>> {
    return this.#send(channel, data) as Promise<Record<string, unknown>>;
  }

  async #send(channel: string, data: unknown): Promise<unknown> {
    if (this.#state === 'closed') throw new ClosedError();
    if (this.#state !== 'connected') throw new NotConnectedError();
    const def = this.#defs.get(channel);
    if (!def) throw new UnknownChannelError(channel);
    const value = parseForPublish(channel, def.schema, data) as Record<string, unknown> & {
      guildId?: string;
    };
    // eventId first on the wire: FailoverTransport reads it without parsing the whole message.
    const payload = {
      eventId: value['eventId'] ?? randomUUID(),
      ...value,
      origin: value['origin'] ?? this.#origin,
    };
    const json = JSON.stringify(payload);
    // What every receiver checks, so nothing goes out that they would all drop.
    assertPublishable(channel, json, this.#maxBytes);
    const wireChannel = this.#prefix + channel;
    const wire = this.#signer ? this.#signer.sign(wireChannel, json) : json;
    try {
      await this.#transport.publish(wireChannel, wire);
    } catch (err) {
      throw err instanceof PublishFailedError ? err : new PublishFailedError(channel, { cause: err });
    }
    this.#stats.published++;
    if (this.#debug) {
      this.#logger.debug(
        { channel, guildId: payload.guildId },
        `Published ${channel} for guild ${payload.guildId}`,
      );
    }
    return payload;
  }

  /**
   * A guild's settings changed.
   *
   * @example
   * ```ts
   * await sync.publishConfigUpdate({ guildId: '123', settings: { prefix: '!' }, version: 7 });
   * ```
   */
  publishConfigUpdate(event: PublishInput<'config:update'>): Promise<ConfigUpdateEvent>;
  /** @deprecated Use the object form: `publishConfigUpdate({ guildId, settings, version })`. */
  publishConfigUpdate(
    guildId: string,
    settings: Record<string, unknown>,
    version?: number,
  ): Promise<ConfigUpdateEvent>;
  publishConfigUpdate(
    first: string | PublishInput<'config:update'>,
    settings?: Record<string, unknown>,
    version?: number,
  ): Promise<ConfigUpdateEvent> {
    if (typeof first !== 'string') return this.#builtin('config:update', first);
    return this.#builtin('config:update', {
      guildId: first,
      settings: settings as Record<string, unknown>,
      ...(version === undefined ? {} : { version }),
    });
  }

  /**
   * A module was enabled or disabled (optionally with its config).
   *
   * @example
   * ```ts
   * await sync.publishModuleToggle({ guildId: '123', module: 'moderation', enabled: false, version: 8 });
   * ```
   */
  publishModuleToggle(event: PublishInput<'module:toggle'>): Promise<ModuleToggleEvent>;
  /** @deprecated Use the object form: `publishModuleToggle({ guildId, module, enabled, version, config })`. */
  publishModuleToggle(
    guildId: string,
    module: string,
    enabled: boolean,
    version?: number,
    config?: Record<string, unknown>,
  ): Promise<ModuleToggleEvent>;
  publishModuleToggle(
    first: string | PublishInput<'module:toggle'>,
    module?: string,
    enabled?: boolean,
    version?: number,
    config?: Record<string, unknown>,
  ): Promise<ModuleToggleEvent> {
    if (typeof first !== 'string') return this.#builtin('module:toggle', first);
    return this.#builtin('module:toggle', {
      guildId: first,
      module: module as string,
      enabled: enabled as boolean,
      ...(version === undefined ? {} : { version }),
      ...(config === undefined ? {} : { config }),
    });
  }

  /**
   * `guild:reload`: every consumer reloads the guild from the database.
   *
   * @example
   * ```ts
   * await sync.publishGuildReload({ guildId: '123', reason: 'manual sync' });
   * ```
   */
  publishGuildReload(event: PublishInput<'guild:reload'>): Promise<GuildReloadEvent>;
  /** @deprecated Use the object form: `publishGuildReload({ guildId, reason })`. */
  publishGuildReload(guildId: string, reason?: string): Promise<GuildReloadEvent>;
  publishGuildReload(
    first: string | PublishInput<'guild:reload'>,
    reason?: string,
  ): Promise<GuildReloadEvent> {
    if (typeof first !== 'string') return this.#builtin('guild:reload', first);
    return this.#builtin(
      'guild:reload',
      reason === undefined ? { guildId: first } : { guildId: first, reason },
    );
  }

  /**
   * A user lost admin rights on a guild.
   *
   * @example
   * ```ts
   * await sync.publishPermissionRevoked({ guildId: '123', userId: '456', reason: 'Administrator role removed' });
   * ```
   */
  publishPermissionRevoked(event: PublishInput<'permission:revoked'>): Promise<PermissionRevokedEvent>;
  /** @deprecated Use the object form: `publishPermissionRevoked({ guildId, userId, reason })`. */
  publishPermissionRevoked(guildId: string, userId: string, reason: string): Promise<PermissionRevokedEvent>;
  publishPermissionRevoked(
    first: string | PublishInput<'permission:revoked'>,
    userId?: string,
    reason?: string,
  ): Promise<PermissionRevokedEvent> {
    if (typeof first !== 'string') return this.#builtin('permission:revoked', first);
    return this.#builtin('permission:revoked', {
      guildId: first,
      userId: userId as string,
      reason: reason as string,
    });
  }

  /**
   * A command ran (for the live audit log).
   *
   * @example
   * ```ts
   * await sync.publishCommandExecuted({ guildId: '123', command: 'ban', executorId: '456', result: 'success', executor: 'theo7791l' });
   * ```
   */
  publishCommandExecuted(event: PublishInput<'command:executed'>): Promise<CommandExecutedEvent>;
  /** @deprecated Use the object form: `publishCommandExecuted({ guildId, command, executorId, result, executor })`. */
  publishCommandExecuted(
    guildId: string,
    command: string,
    executorId: string,
    result: 'success' | 'error' | 'denied',
    executor?: string,
  ): Promise<CommandExecutedEvent>;
  publishCommandExecuted(
    first: string | PublishInput<'command:executed'>,
    command?: string,
    executorId?: string,
    result?: 'success' | 'error' | 'denied',
    executor?: string,
  ): Promise<CommandExecutedEvent> {
    if (typeof first !== 'string') return this.#builtin('command:executed', first);
    return this.#builtin('command:executed', {
      guildId: first,
      command: command as string,
      executorId: executorId as string,
      result: result as 'success',
      ...(executor === undefined ? {} : { executor }),
    });
  }

  #builtin<C extends ChannelName>(channel: C, data: PublishInput<C>): Promise<PayloadOf<C>> {
    return this.#send(channel, data) as Promise<PayloadOf<C>>;
  }

  /**
   * Counters since creation.
   *
   * @example
   * ```ts
   * console.log(sync.stats()); // { connected: true, transport: 'redis', published: 3, ... }
   * ```
   */
  stats(): SyncClientStats {
    return { connected: this.connected, transport: this.#transport.name, ...this.#stats };
  }

  /** Unsubscribes, closes the transport and drops every handler. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#handlers.clear();
    await this.#transport.close();
    this.removeAllListeners();
  }

  #unprefixed(wireChannel: string): string | undefined {
    return wireChannel.startsWith(this.#prefix) ? wireChannel.slice(this.#prefix.length) : undefined;
  }

  #onMessage(wireChannel: string, raw: string): void {
    if (this.#state === 'closed') return;
    const channel = this.#unprefixed(wireChannel);
    const def = channel === undefined ? undefined : this.#defs.get(channel);
    if (channel === undefined || !def) {
      this.#invalid(wireChannel, 'unknown channel', raw);
      return;
    }
    let body: string;
    if (this.#signer === undefined) body = typeof raw === 'string' ? stripSignature(raw) : raw;
    else {
      const verified = typeof raw === 'string' ? this.#signer.verify(wireChannel, raw) : undefined;
      if (!verified?.ok) {
        this.#invalid(channel, verified?.reason ?? 'not a string', raw);
        return;
      }
      body = verified.body;
    }
    const result = decodePayload(def.schema, body, this.#maxBytes);
    if (!result.ok) {
      this.#invalid(channel, result.reason, raw);
      return;
    }
    this.#stats.received++;
    const handlers = this.#handlers.get(channel);
    if (!handlers || handlers.size === 0) return;
    const info: DeliveryInfo = { channel };
    for (const handler of handlers) {
      try {
        const out = handler(result.value, info);
        if (out && typeof (out as Promise<void>).then === 'function') {
          (out as Promise<void>).then(undefined, (err: unknown) => this.#handlerError(channel, err));
        }
      } catch (err) {
        this.#handlerError(channel, err);
      }
    }
  }

  #handlerError(channel: string, err: unknown): void {
    this.#stats.handlerErrors++;
    const error = toError(err);
    this.#logger.error({ err: error, channel }, `Handler for ${channel} failed: ${error.message}`);
    this.emit('error', error);
  }

  #invalid(channel: string, reason: string, raw: unknown): void {
    this.#stats.invalid++;
    const sample = typeof raw === 'string' ? raw.slice(0, 200) : String(raw).slice(0, 200);
    this.emit('invalid', { channel, reason, sample });
    // One bad publisher must not flood the logs: at most one warning per second.
    const now = Date.now();
    if (now - this.#lastInvalidLog >= 1000) {
      this.#logger.warn(
        { channel, reason, suppressed: this.#suppressedInvalid },
        `Dropped invalid message on ${channel}: ${reason}`,
      );
      this.#lastInvalidLog = now;
      this.#suppressedInvalid = 0;
    } else {
      this.#suppressedInvalid++;
    }
  }
}
