import { EventEmitter } from 'eventemitter3';
import type { TransportEvents } from '../transports/transport.js';

/**
 * Shared plumbing for transports: the event emitter, the subscribed channel set, and down/up
 * bookkeeping (so `up` carries the outage length and fires once per outage). Internal: custom
 * transports implement the public `Transport` interface.
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
