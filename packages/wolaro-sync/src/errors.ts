import type { z } from 'zod';

/**
 * Stable error codes of `@wolaro/sync`. Match on `error.code`, never on the message.
 *
 * @example
 * ```ts
 * import { WolaroSyncError } from '@wolaro/sync';
 * try { cacheKeys.guildConfig(input); } catch (err) {
 *   if (err instanceof WolaroSyncError && err.code === 'E_INVALID_KEY') reply('Bad guild id');
 * }
 * ```
 */
export type ErrorCode =
  | 'E_INVALID_KEY'
  | 'E_INVALID_PAYLOAD'
  | 'E_UNKNOWN_CHANNEL'
  | 'E_VERSION_CONFLICT'
  | 'E_ROW_NOT_FOUND'
  | 'E_PRECONDITION_FAILED'
  | 'E_NOT_CONNECTED'
  | 'E_PUBLISH_FAILED'
  | 'E_CLOSED'
  | 'E_REDIS_UNAVAILABLE'
  | 'E_PG_UNAVAILABLE';

/**
 * Base class of every error thrown by `@wolaro/sync`: a stable `code`, a `name` and an optional `cause`.
 *
 * @example
 * ```ts
 * if (err instanceof WolaroSyncError) logger.warn({ code: err.code }, err.message);
 * ```
 */
export class WolaroSyncError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * A cache key part (guild id, user id, module name) is not of the allowed shape, so it could collide
 * with or inject into another key. Code `E_INVALID_KEY`.
 *
 * @example
 * ```ts
 * cacheKeys.guildConfig('123:evil'); // throws InvalidKeyError
 * ```
 */
export class InvalidKeyError extends WolaroSyncError {
  static readonly code = 'E_INVALID_KEY';
  constructor(message: string) {
    super('E_INVALID_KEY', message);
  }
}

/**
 * A payload that a receiver would drop, refused before it is sent or written: it does not match
 * its channel's schema, carries a `__proto__`/`constructor`/`prototype` key at any depth, or is
 * over `maxPayloadBytes`. Thrown by `SyncClient.publish`, the outbox `enqueue`/`enqueueClaimed`
 * and the versioned writes, with exactly the checks every receiver applies. Code
 * `E_INVALID_PAYLOAD`; `issues` lists what was wrong, `zodIssues` holds the schema's own issues.
 *
 * @example
 * ```ts
 * try {
 *   await sync.publish('config:update', { guildId: '123', settings: { constructor: 'x' } });
 * } catch (err) {
 *   if (err instanceof InvalidPayloadError) res.status(400).json({ issues: err.issues });
 * }
 * ```
 */
export class InvalidPayloadError extends WolaroSyncError {
  static readonly code = 'E_INVALID_PAYLOAD';
  /** Human-readable list of problems, e.g. `guildId: must be a Discord snowflake`. */
  readonly issues: readonly string[];
  /** The zod issues when the channel's schema refused the payload, otherwise empty. */
  readonly zodIssues: readonly z.core.$ZodIssue[];
  constructor(
    message: string,
    issues: readonly string[] = [],
    options?: { cause?: unknown; zodIssues?: readonly z.core.$ZodIssue[] },
  ) {
    super('E_INVALID_PAYLOAD', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.issues = issues;
    this.zodIssues = options?.zodIssues ?? [];
  }
}

/**
 * A channel name that is not part of the client's channel map. Code `E_UNKNOWN_CHANNEL`.
 *
 * @example
 * ```ts
 * await sync.publish('nope' as never, {} as never); // rejects with UnknownChannelError
 * ```
 */
export class UnknownChannelError extends WolaroSyncError {
  static readonly code = 'E_UNKNOWN_CHANNEL';
  constructor(channel: string) {
    super('E_UNKNOWN_CHANNEL', `Unknown channel "${channel}"`);
  }
}

/**
 * A write carried an expected version that is no longer current (someone else saved first).
 * Code `E_VERSION_CONFLICT`.
 *
 * @example
 * ```ts
 * throw new VersionConflictError('123', 4, 5);
 * ```
 */
export class VersionConflictError extends WolaroSyncError {
  static readonly code = 'E_VERSION_CONFLICT';
  constructor(
    readonly entityId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      'E_VERSION_CONFLICT',
      `Version conflict on ${entityId}: expected ${expectedVersion}, current is ${currentVersion}`,
    );
  }
}

/**
 * An operation needs a connected client or transport. Code `E_NOT_CONNECTED`.
 *
 * @example
 * ```ts
 * const sync = new SyncClient({ transport });
 * await sync.publish(...); // rejects with NotConnectedError until connect() resolved
 * ```
 */
export class NotConnectedError extends WolaroSyncError {
  static readonly code = 'E_NOT_CONNECTED';
  constructor(message = 'Not connected: call connect() first') {
    super('E_NOT_CONNECTED', message);
  }
}

/**
 * Every transport refused a publish (for example Redis is down and there is no failover).
 * Code `E_PUBLISH_FAILED`; `cause` holds the last transport error.
 *
 * @example
 * ```ts
 * try { await sync.publishGuildReload('123'); } catch (err) { if (err instanceof PublishFailedError) retryLater(); }
 * ```
 */
export class PublishFailedError extends WolaroSyncError {
  static readonly code = 'E_PUBLISH_FAILED';
  constructor(channel: string, options?: { cause?: unknown }) {
    super('E_PUBLISH_FAILED', `Publish on "${channel}" failed on every transport`, options);
  }
}

/**
 * The client or transport was closed. Code `E_CLOSED`.
 *
 * @example
 * ```ts
 * await sync.close();
 * await sync.publishGuildReload('123'); // rejects with ClosedError
 * ```
 */
export class ClosedError extends WolaroSyncError {
  static readonly code = 'E_CLOSED';
  constructor(what = 'client') {
    super('E_CLOSED', `The ${what} is closed`);
  }
}

/**
 * Redis could not be reached in time (`connect()` of a `SyncClient` or `RedisTransport`, the first
 * connection of a `RedisFallbackManager`). Code `E_REDIS_UNAVAILABLE`; `address` is `host:port`
 * (or the socket path, or the cluster's first node); `cause` holds the last connection error
 * (e.g. `ECONNREFUSED`) when there was one.
 *
 * @example
 * ```ts
 * try { await sync.connect(); } catch (err) {
 *   if (err instanceof RedisUnavailableError) logger.fatal(`Redis down at ${err.address}`);
 * }
 * ```
 */
export class RedisUnavailableError extends WolaroSyncError {
  static readonly code = 'E_REDIS_UNAVAILABLE';
  constructor(
    /** Where the SDK tried to connect: `host:port`, a socket path or the cluster's first node. */
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('E_REDIS_UNAVAILABLE', message, options);
  }
}

/**
 * Postgres could not be reached (`connect()` of a `PgNotifyTransport`). Code `E_PG_UNAVAILABLE`;
 * `address` is `host:port` when known; `cause` holds the driver's error.
 *
 * @example
 * ```ts
 * try { await sync.connect(); } catch (err) {
 *   if (err instanceof PgUnavailableError) logger.fatal(`Postgres down at ${err.address}`);
 * }
 * ```
 */
export class PgUnavailableError extends WolaroSyncError {
  static readonly code = 'E_PG_UNAVAILABLE';
  constructor(
    /** Where the SDK tried to connect (`host:port`), `unknown` when the pool does not say. */
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('E_PG_UNAVAILABLE', `Postgres unavailable at ${address}${reason}`, options);
  }
}

/**
 * Options given to a constructor or factory of the SDK are wrong. Thrown at once (at construction,
 * never later), listing every problem. A `TypeError` (it is a programming error, like
 * `attachSync`'s) with the stable code `E_INVALID_OPTIONS` and the list in `issues`.
 *
 * @example
 * ```ts
 * try { new SyncClient({ redis: process.env.REDIS_URL as string }); } catch (err) {
 *   if (err instanceof InvalidOptionsError) console.error(err.issues);
 *   // ['redis: is undefined (an unset environment variable?): ...']
 * }
 * ```
 */
export class InvalidOptionsError extends TypeError {
  static readonly code = 'E_INVALID_OPTIONS';
  /** Stable machine-readable code. */
  readonly code = 'E_INVALID_OPTIONS';
  /** Every problem, as `path: message`. */
  readonly issues: readonly string[];
  constructor(owner: string, issues: readonly string[]) {
    super(`${owner}: invalid options: ${issues.join('; ')}`);
    this.issues = issues;
  }

  override get name(): string {
    return 'InvalidOptionsError';
  }
}

/**
 * Every error class of the SDK, keyed by name, for `instanceof` checks without deep imports.
 *
 * @example
 * ```ts
 * import { errors } from '@wolaro/sync';
 * if (err instanceof errors.InvalidKeyError) ...
 * ```
 */
export const errors = {
  WolaroSyncError,
  InvalidKeyError,
  InvalidPayloadError,
  UnknownChannelError,
  VersionConflictError,
  NotConnectedError,
  PublishFailedError,
  ClosedError,
  RedisUnavailableError,
  PgUnavailableError,
  InvalidOptionsError,
} as const;
