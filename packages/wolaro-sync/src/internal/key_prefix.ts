import { InvalidKeyError } from '../errors.js';

const PREFIX = /^[A-Za-z0-9:._-]{0,64}$/;

/**
 * Checks a key/channel prefix: letters, digits and `: . _ -`, at most 64 characters.
 *
 * @example
 * ```ts
 * assertValidPrefix('staging:'); // ok
 * ```
 */
export function assertValidPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidKeyError(`keyPrefix must match [A-Za-z0-9:._-]{0,64}, got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}
