import type { IncomingMessage } from 'node:http';
import type { ChannelMap, Logger, SyncClient } from '@wolaro/sync';
import { z } from 'zod';
import type { TokenVerifier } from '../auth/jwt_verifier.js';
import { normalizeOrigin } from '../internal/origin.js';
import {
  type ConnectionRateLimitOptions,
  DefaultConnectionRateLimitOptions,
  DefaultRateLimitOptions,
  type RateLimitOptions,
} from './rate_limit.js';
import type { RoomPair } from './types.js';

/**
 * Options of {@link attachSync}.
 *
 * @example
 * ```ts
 * const options: AttachSyncOptions = {
 *   sync,
 *   verifyToken: jwtVerifier({ secret: process.env.JWT_SECRET! }),
 *   authorize: (userId, guildId) => db.canManageGuild(userId, guildId), // ADMINISTRATOR or owner
 *   listGuilds: (userId) => db.managedGuildIds(userId),
 *   allowedOrigins: ['https://wolaro.fr'],
 * };
 * ```
 */
export interface AttachSyncOptions<M extends ChannelMap = Record<never, never>> {
  /** A `SyncClient` (yours: connect and close it yourself). Every channel it knows is forwarded. */
  sync: SyncClient<M>;
  /** Checks `socket.handshake.auth.token`; see `jwtVerifier`. */
  verifyToken: TokenVerifier;
  /**
   * May this user see this guild's events? Called for each auto-joined guild and on every
   * `join:guild`. A throw, a rejection or a timeout counts as "no" (and is logged).
   */
  authorize: (userId: string, guildId: string) => boolean | Promise<boolean>;
  /**
   * Guilds to auto-join on connect (each still passes `authorize`, or `authorizeGuilds` when set).
   * Runs during the handshake, so the rooms are joined before the client sees `connect`. On failure
   * the socket connects with no guild rooms (logged) and can still `join:guild`.
   * @defaultValue none: no auto-join
   */
  listGuilds?: (userId: string) => readonly string[] | Promise<readonly string[]>;
  /**
   * Re-checks many (user, guild) pairs at once; returns the pairs still allowed. After a bus
   * outage (`sync` emits `'resync'`) revocations may have been missed, so the gateway calls it ONCE
   * with every (user, guild) pair of the guild rooms its sockets are in on this node, takes each
   * socket out of the rooms whose pair is not returned and sends it `permission:revoked` (reason
   * `Access re-checked after a bus outage`). Events of those guilds arriving meanwhile are held
   * until the check is done, and `guild:reload` (`reloadOnResync`) goes out after it. A throw, a
   * rejection, a timeout or an answer that is not a list of pairs changes nothing (logged). Answer
   * with one query, e.g. a join on `unnest($1::text[], $2::text[])`.
   * @defaultValue none: rooms are not re-checked after an outage
   *
   * @example
   * ```ts
   * authorizeRooms: async (pairs) => {
   *   const { rows } = await pool.query(
   *     `SELECT p.user_id AS "userId", p.guild_id AS "guildId"
   *        FROM unnest($1::text[], $2::text[]) AS p(user_id, guild_id)
   *        JOIN guild_admins a ON a.user_id = p.user_id AND a.guild_id = p.guild_id`,
   *     [pairs.map((p) => p.userId), pairs.map((p) => p.guildId)],
   *   );
   *   return rows;
   * },
   * ```
   */
  authorizeRooms?: (pairs: readonly RoomPair[]) => readonly RoomPair[] | Promise<readonly RoomPair[]>;
  /**
   * The batch form of `authorize`: which of `guildIds` may this user see? Answer with the allowed
   * ids (any other id in the answer is ignored). When set, the handshake checks every guild of
   * `listGuilds` with this one call instead of one `authorize` call per guild, so a handshake
   * costs the same few queries whatever the number of guilds. A throw, a rejection or a timeout
   * counts as "none" (logged). `join:guild` still uses `authorize`.
   * @defaultValue none: one `authorize` call per listed guild
   */
  authorizeGuilds?: (
    userId: string,
    guildIds: readonly string[],
  ) => readonly string[] | Promise<readonly string[]>;
  /**
   * Accepted `Origin` headers, e.g. `['https://wolaro.fr']`. Checked in the namespace middleware
   * (on `socket.handshake.headers.origin`), so a refused client gets `origin_not_allowed`.
   * @defaultValue every origin (a warning is logged)
   */
  allowedOrigins?: readonly string[];
  /**
   * Refuse handshakes without an `Origin` header (non-browser clients).
   * @defaultValue false
   */
  requireOrigin?: boolean;
  /**
   * On `permission:revoked`, also disconnect every socket of the user (a forced
   * disconnect), after they received the event.
   * @defaultValue false
   */
  disconnectOnRevoke?: boolean;
  /**
   * After a bus outage (`sync` emits `'resync'`), send `guild:reload` (`reason: 'resync'`) to every
   * guild room on this node, since its panels may have missed events meanwhile.
   * @defaultValue true
   */
  reloadOnResync?: boolean;
  /**
   * Per-socket token bucket on `join:guild` / `leave:guild`; `false` turns it off.
   * @defaultValue `{ perSecond: 20, burst: 40 }`
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * Limits on new connections per client address and per user over a sliding window; a refused
   * handshake gets `rate_limited`. `false` turns both off.
   * @defaultValue `{ perIp: 60, perUser: 20, windowMs: 10_000 }`
   */
  connectionRateLimit?: ConnectionRateLimitOptions | false;
  /**
   * The client address that `connectionRateLimit.perIp` counts, from the handshake's HTTP request.
   * Behind a reverse proxy every client comes from the proxy's address: return the client address
   * your proxy forwards (e.g. with `proxy-addr` and the trust settings of your HTTP framework).
   * @defaultValue the TCP peer address (`request.socket.remoteAddress`)
   */
  clientAddress?: (request: IncomingMessage) => string;
  /**
   * Longest wait for `verifyToken`, `listGuilds` or one `authorize` call; past it the call counts
   * as failed, so a hung database never hangs a handshake.
   * @defaultValue 5000
   */
  callbackTimeoutMs?: number;
  /**
   * A pino-compatible logger.
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Defaults of {@link AttachSyncOptions}.
 *
 * @example
 * ```ts
 * attachSync(io, { ...options, callbackTimeoutMs: DefaultAttachSyncOptions.callbackTimeoutMs * 2 });
 * ```
 */
export const DefaultAttachSyncOptions = {
  requireOrigin: false,
  disconnectOnRevoke: false,
  reloadOnResync: true,
  rateLimit: DefaultRateLimitOptions,
  connectionRateLimit: DefaultConnectionRateLimitOptions,
  callbackTimeoutMs: 5000,
} as const satisfies Partial<AttachSyncOptions>;

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `${what} must be a function`);

/**
 * `false`, or an object checked by `schema`, whose issues keep their field names (a plain
 * `z.union` would report any of them as "Invalid input" on the option itself).
 */
function falseOr(schema: z.ZodType, expected: string) {
  return z.unknown().superRefine((value, ctx) => {
    if (value === false) return;
    if (typeof value !== 'object' || value === null) {
      ctx.addIssue({ code: 'custom', message: `must be false or ${expected}` });
      return;
    }
    const result = schema.safeParse(value);
    if (result.success) return;
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }
  });
}

/** A connection limit: off, or at least one connection per window. */
const limitOrOff = z.union([z.literal(false), z.number().int().min(1)], {
  error: 'must be false or an integer >= 1',
});

const optionsSchema = z.object({
  sync: z.custom<object>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as { subscribe?: unknown }).subscribe === 'function' &&
      typeof (v as { on?: unknown }).on === 'function' &&
      typeof (v as { channels?: unknown }).channels === 'object',
    'must be a SyncClient',
  ),
  verifyToken: fn('verifyToken'),
  authorize: fn('authorize'),
  listGuilds: fn('listGuilds').optional(),
  authorizeRooms: fn('authorizeRooms').optional(),
  authorizeGuilds: fn('authorizeGuilds').optional(),
  allowedOrigins: z
    .array(z.string())
    .superRefine((list, ctx) => {
      for (const origin of list) {
        try {
          normalizeOrigin(origin);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }
    })
    .optional(),
  requireOrigin: z.boolean().optional(),
  disconnectOnRevoke: z.boolean().optional(),
  reloadOnResync: z.boolean().optional(),
  rateLimit: falseOr(
    z.object({ perSecond: z.number().positive().finite(), burst: z.number().int().min(1) }),
    '{ perSecond, burst }',
  ).optional(),
  connectionRateLimit: falseOr(
    z.object({
      perIp: limitOrOff.optional(),
      perUser: limitOrOff.optional(),
      windowMs: z.number().int().min(1).max(2_147_483_647).optional(),
    }),
    '{ perIp?, perUser?, windowMs? }',
  ).optional(),
  clientAddress: fn('clientAddress').optional(),
  callbackTimeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
  logger: z
    .custom<object>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['debug', 'info', 'warn', 'error'].every(
          (m) => typeof (v as Record<string, unknown>)[m] === 'function',
        ),
      'must have debug/info/warn/error methods',
    )
    .optional(),
});

/**
 * Checks {@link AttachSyncOptions} at attach time and throws one `TypeError` listing every
 * problem (`attachSync: invalid options: authorize: authorize must be a function; ...`).
 *
 * @example
 * ```ts
 * validateAttachOptions({ sync, verifyToken }); // throws: authorize must be a function
 * ```
 */
export function validateAttachOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('attachSync: options must be an object');
  }
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TypeError(`attachSync: invalid options: ${issues.join('; ')}`);
  }
}
