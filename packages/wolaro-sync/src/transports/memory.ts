import { EventEmitter } from 'eventemitter3';
import { z } from 'zod';
import { ClosedError, NotConnectedError } from '../errors.js';
import { BaseTransport } from '../internal/base_transport.js';
import { checkOptions } from '../internal/options.js';

/**
 * An in-process message bus. Every `MemoryTransport` on the same bus sees the others' messages,
 * like clients of one Redis server. Delivery is asynchronous (a microtask) and in publish order.
 *
 * @example
 * ```ts
 * const bus = new MemoryBus();
 * const a = new SyncClient({ transport: new MemoryTransport({ bus }) });
 * const b = new SyncClient({ transport: new MemoryTransport({ bus }) });
 * ```
 */
export class MemoryBus {
  readonly #emitter = new EventEmitter();

  /** Delivers `message` to every listener of `channel`. */
  publish(channel: string, message: string): void {
    this.#emitter.emit(channel, channel, message);
  }

  /** Adds a listener to `channel`. */
  on(channel: string, listener: (channel: string, message: string) => void): void {
    this.#emitter.on(channel, listener);
  }

  /** Removes a listener from `channel`. */
  off(channel: string, listener: (channel: string, message: string) => void): void {
    this.#emitter.off(channel, listener);
  }

  /** Number of listeners on a channel. */
  listenerCount(channel: string): number {
    return this.#emitter.listenerCount(channel);
  }
}

/**
 * The process-wide bus that `new MemoryTransport()` uses when no bus is given, so a bot and an
 * API running in one process talk with no configuration.
 *
 * @example
 * ```ts
 * new MemoryTransport(); // same as new MemoryTransport({ bus: defaultMemoryBus })
 * ```
 */
export const defaultMemoryBus = new MemoryBus();

/**
 * Options of {@link MemoryTransport}.
 *
 * @example
 * ```ts
 * const options: MemoryTransportOptions = { bus: new MemoryBus() };
 * ```
 */
export interface MemoryTransportOptions {
  /**
   * The bus to join.
   * @defaultValue {@link defaultMemoryBus}
   */
  bus?: MemoryBus;
}

const memorySchema = z.object({
  bus: z.instanceof(MemoryBus, { message: 'must be a MemoryBus' }).optional(),
});

/**
 * In-process transport on an eventemitter3 bus: the embedded default (bot and API in one
 * process) and the fastest transport for tests. It never goes down.
 *
 * @example
 * ```ts
 * const sync = new SyncClient({ transport: new MemoryTransport() });
 * await sync.connect();
 * ```
 */
export class MemoryTransport extends BaseTransport {
  readonly name = 'memory';
  readonly #bus: MemoryBus;
  #state: 'idle' | 'connected' | 'closed' = 'idle';
  readonly #listener = (channel: string, message: string): void => {
    queueMicrotask(() => {
      if (this.#state === 'connected' && this.channels.has(channel)) this.emit('message', channel, message);
    });
  };

  constructor(options: MemoryTransportOptions = {}) {
    super();
    checkOptions('MemoryTransport', memorySchema, options);
    this.#bus = options.bus ?? defaultMemoryBus;
  }

  get healthy(): boolean {
    return this.#state === 'connected';
  }

  async connect(): Promise<void> {
    if (this.#state === 'closed') throw new ClosedError('transport');
    this.#state = 'connected';
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      if (this.channels.has(channel)) continue;
      this.channels.add(channel);
      this.#bus.on(channel, this.#listener);
    }
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      if (!this.channels.delete(channel)) continue;
      this.#bus.off(channel, this.#listener);
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.#state === 'closed') throw new ClosedError('transport');
    if (this.#state !== 'connected') throw new NotConnectedError();
    this.#bus.publish(channel, message);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.unsubscribe([...this.channels]);
    this.#state = 'closed';
    this.removeAllListeners();
  }
}
