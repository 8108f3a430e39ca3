import { InvalidKeyError } from '../errors.js';
import { assertValidPrefix } from '../internal/key_prefix.js';

/**
 * The TTL of every cache entry unless told otherwise: one hour.
 *
 * @example
 * ```ts
 * await cache.set(key, value, DEFAULT_TTL_SECONDS);
 * ```
 */
export const DEFAULT_TTL_SECONDS = 3600;

const SNOWFLAKE = /^\d{1,20}$/;
const MODULE = /^[a-z0-9_-]{1,32}$/;

function id(kind: string, value: unknown): string {
  if (typeof value !== 'string' || !SNOWFLAKE.test(value)) {
    throw new InvalidKeyError(
      `${kind} must be a Discord snowflake (1-20 digits), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Builds the cache keys. Every part is checked so a key can never spill into another
 * (no `:` or wildcards from user input).
 *
 * @example
 * ```ts
 * cacheKeys.guildConfig('123');              // 'guild:config:123'
 * cacheKeys.withPrefix('prod:').guildConfig('123'); // 'prod:guild:config:123'
 * ```
 */
export interface CacheKeys {
  /** The prefix in front of every key ('' by default). */
  readonly prefix: string;
  /** `guild:config:{guildId}`: full guild configuration. */
  guildConfig(guildId: string): string;
  /** `guild:module:{guildId}:{name}`: one module's config. */
  guildModule(guildId: string, name: string): string;
  /** `user:permissions:{userId}`: a user's permissions. */
  userPermissions(userId: string): string;
  /** The same key builders under another prefix (e.g. per environment on a shared Redis). */
  withPrefix(prefix: string): CacheKeys;
}

/**
 * Creates key builders under a prefix. {@link cacheKeys} is the unprefixed instance.
 *
 * @example
 * ```ts
 * const keys = createCacheKeys('staging:');
 * keys.userPermissions('456'); // 'staging:user:permissions:456'
 * ```
 */
export function createCacheKeys(prefix = ''): CacheKeys {
  const p = assertValidPrefix(prefix);
  return Object.freeze({
    prefix: p,
    guildConfig: (guildId: string) => `${p}guild:config:${id('guildId', guildId)}`,
    guildModule: (guildId: string, name: string) => {
      if (typeof name !== 'string' || !MODULE.test(name)) {
        throw new InvalidKeyError(`module name must match [a-z0-9_-]{1,32}, got ${JSON.stringify(name)}`);
      }
      return `${p}guild:module:${id('guildId', guildId)}:${name}`;
    },
    userPermissions: (userId: string) => `${p}user:permissions:${id('userId', userId)}`,
    withPrefix: (next: string) => createCacheKeys(next),
  });
}

/**
 * The cache keys without a prefix.
 *
 * @example
 * ```ts
 * import { cacheKeys } from '@wolaro/sync';
 * await redis.del(cacheKeys.guildConfig('123')); // guild:config:123
 * ```
 */
export const cacheKeys: CacheKeys = createCacheKeys();
