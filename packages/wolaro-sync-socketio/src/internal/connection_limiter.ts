import type { IncomingMessage } from 'node:http';
import type { Logger } from '@wolaro/sync';
import { type ConnectionRateLimitOptions, DefaultConnectionRateLimitOptions } from '../gateway/rate_limit.js';
import { SlidingWindowCounter } from './sliding_window.js';

/** What {@link ConnectionLimiter} needs from the options. */
export interface ConnectionLimiterDeps {
  limits: ConnectionRateLimitOptions | false | undefined;
  clientAddress: ((request: IncomingMessage) => string) | undefined;
  logger: Logger;
}

/**
 * The per-address and per-user handshake limits of a gateway. The address is checked before
 * anything else of a handshake (it costs no I/O), the user once the token is verified.
 */
export class ConnectionLimiter {
  readonly #perIp: SlidingWindowCounter | undefined;
  readonly #perUser: SlidingWindowCounter | undefined;
  readonly #clientAddress: ConnectionLimiterDeps['clientAddress'];
  readonly #logger: Logger;

  constructor(deps: ConnectionLimiterDeps) {
    const limits = deps.limits ?? DefaultConnectionRateLimitOptions;
    this.#logger = deps.logger;
    this.#clientAddress = deps.clientAddress;
    if (limits === false) return;
    const windowMs = limits.windowMs ?? DefaultConnectionRateLimitOptions.windowMs;
    const perIp = limits.perIp ?? DefaultConnectionRateLimitOptions.perIp;
    const perUser = limits.perUser ?? DefaultConnectionRateLimitOptions.perUser;
    if (perIp !== false) this.#perIp = new SlidingWindowCounter(perIp, windowMs);
    if (perUser !== false) this.#perUser = new SlidingWindowCounter(perUser, windowMs);
  }

  /** The address `perIp` counts: `clientAddress(request)`, else the TCP peer. */
  address(request: IncomingMessage, fallback: string): string {
    if (!this.#clientAddress) return fallback;
    try {
      const address = this.#clientAddress(request);
      if (typeof address === 'string' && address.length > 0) return address;
    } catch (err) {
      this.#logger.warn({ err }, 'clientAddress failed, the TCP peer address is used');
    }
    return fallback;
  }

  /** Counts a handshake from `address`; `false` when that address is over its limit. */
  allowAddress(address: string): boolean {
    if (!this.#perIp || this.#perIp.hit(address)) return true;
    this.#logger.debug({ address }, `Socket refused: too many handshakes from ${address}`);
    return false;
  }

  /** Counts a handshake of `userId`; `false` when that user is over its limit. */
  allowUser(userId: string, address: string): boolean {
    if (!this.#perUser || this.#perUser.hit(userId)) return true;
    this.#logger.debug({ userId, address }, `Socket refused: too many handshakes of user ${userId}`);
    return false;
  }
}
