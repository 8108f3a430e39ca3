import { DISCORD_EPOCH } from './constants.js';

/**
 * Options of {@link SnowflakeGenerator}.
 *
 * @example
 * ```ts
 * const ids = new SnowflakeGenerator({ workerId: 2, now: () => fixedClock });
 * ```
 */
export interface SnowflakeGeneratorOptions {
  /** Worker id (0-31) stored in bits 17-21. Defaults to 1. */
  workerId?: number;
  /** Clock, in milliseconds since the Unix epoch. Defaults to `Date.now`. */
  now?: () => number;
}

/**
 * Generates Discord snowflakes: `(ms since DISCORD_EPOCH) << 22 | worker << 17 | increment`.
 * Ids are strictly increasing, even when many are generated in the same millisecond.
 *
 * @example
 * ```ts
 * import { SnowflakeGenerator } from '@wolaro/discord-emulator';
 * const ids = new SnowflakeGenerator();
 * const id = ids.next(); // e.g. '1316412345678901249'
 * ```
 */
export class SnowflakeGenerator {
  readonly #workerId: bigint;
  readonly #now: () => number;
  #lastTimestamp = -1;
  #increment = 0;

  constructor(options: SnowflakeGeneratorOptions = {}) {
    this.#workerId = BigInt((options.workerId ?? 1) & 0x1f);
    this.#now = options.now ?? Date.now;
  }

  /** Returns a new snowflake, as a decimal string. */
  next(): string {
    let timestamp = Math.max(this.#now() - DISCORD_EPOCH, this.#lastTimestamp);
    if (timestamp === this.#lastTimestamp) {
      this.#increment += 1;
      if (this.#increment > 0xfff) {
        timestamp += 1;
        this.#increment = 0;
      }
    } else {
      this.#increment = 0;
    }
    this.#lastTimestamp = timestamp;
    return ((BigInt(timestamp) << 22n) | (this.#workerId << 17n) | BigInt(this.#increment)).toString();
  }
}

/**
 * Returns the creation time encoded in a snowflake, in milliseconds since the Unix epoch.
 *
 * @example
 * ```ts
 * import { snowflakeTimestamp } from '@wolaro/discord-emulator';
 * new Date(snowflakeTimestamp('175928847299117063')); // 2016-04-30T11:18:25.796Z
 * ```
 */
export function snowflakeTimestamp(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

/**
 * Compares two snowflakes numerically (for sorting).
 *
 * @example
 * ```ts
 * import { compareSnowflakes } from '@wolaro/discord-emulator';
 * ids.sort(compareSnowflakes);
 * ```
 */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Whether a string looks like a snowflake (1 to 20 decimal digits).
 *
 * @example
 * ```ts
 * import { isSnowflake } from '@wolaro/discord-emulator';
 * isSnowflake('123456789012345678'); // true
 * ```
 */
export function isSnowflake(value: string): boolean {
  return /^\d{1,20}$/.test(value);
}
