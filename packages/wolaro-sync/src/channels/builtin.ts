import { z } from 'zod';
import { defineChannels, eventMetaShape } from './define.js';

/**
 * A Discord snowflake id as a string: 1 to 20 digits.
 *
 * @example
 * ```ts
 * snowflake.parse('123456789012345678');
 * ```
 */
export const snowflake = z.string().regex(/^\d{1,20}$/, 'must be a Discord snowflake (1-20 digits)');

/**
 * A module name: lower-case letters, digits, `_` and `-`, 1 to 32 characters.
 *
 * @example
 * ```ts
 * moduleName.parse('moderation');
 * ```
 */
export const moduleName = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must match [a-z0-9_-]{1,32}');

/**
 * A monotonic per-guild version. Absent means "unversioned: always apply".
 *
 * @example
 * ```ts
 * version.parse(42);
 * ```
 */
export const version = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * Milliseconds since the epoch; when absent on the wire it defaults to the time of receipt.
 *
 * @example
 * ```ts
 * timestamp.parse(undefined); // Date.now()
 * ```
 */
export const timestamp = z
  .number()
  .int()
  .nonnegative()
  .default(() => Date.now());

const settingsRecord = z.record(z.string(), z.unknown());

/**
 * A panel session id as it travels on the bus: 1 to 128 characters of `[A-Za-z0-9_.:-]` (a UUID
 * fits), safe in a Socket.io room name.
 *
 * @example
 * ```ts
 * sessionId.parse('6f1c2a3e-0b7d-4c59-9e43-2f0a8d1c5b77');
 * ```
 */
export const sessionId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be a session id ([A-Za-z0-9_.:-]{1,128})');

/**
 * Why a panel session was ended, as `session:revoked` says it:
 *
 * - `logout`: the user logged out (on any node);
 * - `expired`: the session reached its expiry;
 * - `relogin`: the user logged in again and lost guilds meanwhile, so older sessions go;
 * - `revoked`: an operator or the app ended it for another reason.
 *
 * @example
 * ```ts
 * sessionRevokedReason.parse('logout');
 * sessionRevokedReason.options; // ['logout', 'expired', 'relogin', 'revoked']
 * ```
 */
export const sessionRevokedReason = z.enum(['logout', 'expired', 'relogin', 'revoked']);

/**
 * One of {@link sessionRevokedReason}'s values.
 *
 * @example
 * ```ts
 * const reason: SessionRevokedReason = 'expired';
 * ```
 */
export type SessionRevokedReason = z.infer<typeof sessionRevokedReason>;

/**
 * The six built-in channels, with their payload schemas and Socket.io event names.
 *
 * | channel | Socket.io event |
 * |---|---|
 * | `config:update` | `config:updated` |
 * | `module:toggle` | `module:toggled` |
 * | `guild:reload` | `guild:reload` |
 * | `permission:revoked` | `permission:revoked` |
 * | `command:executed` | `command:executed` |
 * | `session:revoked` | `session:revoked` |
 *
 * `session:revoked` concerns one panel session, not a guild: the Socket.io gateway sends it to the
 * sockets of that session only, then disconnects them.
 *
 * @example
 * ```ts
 * builtinChannels['config:update'].schema.parse({ guildId: '123', settings: { prefix: '!' } });
 * ```
 */
export const builtinChannels = defineChannels({
  'config:update': {
    schema: z.object({
      ...eventMetaShape,
      guildId: snowflake,
      settings: settingsRecord,
      version: version.optional(),
      timestamp,
    }),
    socketEvent: 'config:updated',
  },
  'module:toggle': {
    schema: z.object({
      ...eventMetaShape,
      guildId: snowflake,
      module: moduleName,
      enabled: z.boolean(),
      config: settingsRecord.optional(),
      version: version.optional(),
      timestamp,
    }),
    socketEvent: 'module:toggled',
  },
  'guild:reload': {
    schema: z.object({
      ...eventMetaShape,
      guildId: snowflake,
      reason: z.string().max(512).optional(),
      timestamp,
    }),
    socketEvent: 'guild:reload',
  },
  'permission:revoked': {
    schema: z.object({
      ...eventMetaShape,
      guildId: snowflake,
      userId: snowflake,
      reason: z.string().max(512),
      timestamp,
    }),
    socketEvent: 'permission:revoked',
  },
  'command:executed': {
    schema: z.object({
      ...eventMetaShape,
      guildId: snowflake,
      command: z.string().min(1).max(100),
      executorId: snowflake,
      executor: z.string().max(100).optional(),
      result: z.enum(['success', 'error', 'denied']),
      timestamp,
    }),
    socketEvent: 'command:executed',
  },
  'session:revoked': {
    schema: z.object({
      ...eventMetaShape,
      sessionId,
      userId: snowflake,
      reason: sessionRevokedReason,
      timestamp,
    }),
    socketEvent: 'session:revoked',
  },
});

/** The type of {@link builtinChannels}. */
export type BuiltinChannels = typeof builtinChannels;

/**
 * Names of the built-in channels, so code never spells them by hand.
 *
 * @example
 * ```ts
 * sync.subscribe(CHANNELS.CONFIG_UPDATE, (e) => configs.invalidate(e.guildId));
 * ```
 */
export const CHANNELS = Object.freeze({
  CONFIG_UPDATE: 'config:update',
  MODULE_TOGGLE: 'module:toggle',
  GUILD_RELOAD: 'guild:reload',
  PERMISSION_REVOKED: 'permission:revoked',
  COMMAND_EXECUTED: 'command:executed',
  SESSION_REVOKED: 'session:revoked',
} as const);

/**
 * Built-in channel → the Socket.io event the panel receives.
 *
 * @example
 * ```ts
 * io.to(`guild:${e.guildId}`).emit(SOCKET_EVENTS['config:update'], e); // 'config:updated'
 * ```
 */
export const SOCKET_EVENTS = Object.freeze({
  'config:update': 'config:updated',
  'module:toggle': 'module:toggled',
  'guild:reload': 'guild:reload',
  'permission:revoked': 'permission:revoked',
  'command:executed': 'command:executed',
  'session:revoked': 'session:revoked',
} as const satisfies { [K in keyof BuiltinChannels]: BuiltinChannels[K]['socketEvent'] });

/**
 * The zod schema of each built-in channel's payload.
 *
 * @example
 * ```ts
 * const result = channelSchemas['permission:revoked'].safeParse(JSON.parse(raw));
 * ```
 */
export const channelSchemas = Object.freeze({
  'config:update': builtinChannels['config:update'].schema,
  'module:toggle': builtinChannels['module:toggle'].schema,
  'guild:reload': builtinChannels['guild:reload'].schema,
  'permission:revoked': builtinChannels['permission:revoked'].schema,
  'command:executed': builtinChannels['command:executed'].schema,
  'session:revoked': builtinChannels['session:revoked'].schema,
});
