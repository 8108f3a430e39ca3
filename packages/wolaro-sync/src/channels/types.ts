import type { z } from 'zod';
import type { BuiltinChannels } from './builtin.js';
import type { ChannelMap } from './define.js';

/**
 * A channel name of a channel map (the built-in six by default).
 *
 * @example
 * ```ts
 * const c: ChannelName = 'config:update';
 * ```
 */
export type ChannelName<M extends ChannelMap = BuiltinChannels> = Extract<keyof M, string>;

/**
 * The payload a handler receives on channel `C` (after validation and defaults: `timestamp` is set).
 *
 * @example
 * ```ts
 * function onUpdate(e: PayloadOf<'config:update'>) { console.log(e.guildId, e.settings, e.version); }
 * ```
 */
export type PayloadOf<C extends ChannelName<M>, M extends ChannelMap = BuiltinChannels> = z.output<
  M[C]['schema']
>;

/**
 * What `publish` accepts on channel `C`: like {@link PayloadOf} but `timestamp` and the metadata
 * are optional (filled in by the client).
 *
 * @example
 * ```ts
 * const input: PublishInput<'guild:reload'> = { guildId: '123' };
 * ```
 */
export type PublishInput<C extends ChannelName<M>, M extends ChannelMap = BuiltinChannels> = z.input<
  M[C]['schema']
>;

/**
 * Channel name → payload type of a channel map: the typed event map of the contract.
 *
 * @example
 * ```ts
 * type E = SyncEvents['command:executed']['result']; // 'success' | 'error' | 'denied'
 * ```
 */
export type SyncEvents<M extends ChannelMap = BuiltinChannels> = {
  [C in ChannelName<M>]: PayloadOf<C, M>;
};

/**
 * Payload of `config:update`: a guild's settings changed. `settings` holds the new settings,
 * `version` the guild's new version (absent: "always apply"), `timestamp` ms since the epoch;
 * `eventId` and `origin` are set by the publisher.
 *
 * @example
 * ```ts
 * import type { ConfigUpdateEvent } from '@wolaro/sync';
 * const onUpdate = (e: ConfigUpdateEvent): void => console.log(e.guildId, e.settings['prefix'], e.version);
 * ```
 */
export type ConfigUpdateEvent = PayloadOf<'config:update'>;

/**
 * Payload of `module:toggle`: a module (`[a-z0-9_-]{1,32}`) was enabled or disabled, optionally
 * with its new `config`, at guild `version`.
 *
 * @example
 * ```ts
 * import type { ModuleToggleEvent } from '@wolaro/sync';
 * const onToggle = (e: ModuleToggleEvent): void => console.log(`${e.module} is ${e.enabled ? 'on' : 'off'}`);
 * ```
 */
export type ModuleToggleEvent = PayloadOf<'module:toggle'>;

/**
 * Payload of `guild:reload`: every consumer reloads the guild from the database (`reason` is free
 * text for logs).
 *
 * @example
 * ```ts
 * import type { GuildReloadEvent } from '@wolaro/sync';
 * const onReload = (e: GuildReloadEvent): void => console.log(`reload ${e.guildId}: ${e.reason ?? 'no reason'}`);
 * ```
 */
export type GuildReloadEvent = PayloadOf<'guild:reload'>;

/**
 * Payload of `permission:revoked`: user `userId` lost its admin rights on guild `guildId`
 * (panels disconnect its sessions).
 *
 * @example
 * ```ts
 * import type { PermissionRevokedEvent } from '@wolaro/sync';
 * const onRevoked = (e: PermissionRevokedEvent): void => console.log(`${e.userId} revoked: ${e.reason}`);
 * ```
 */
export type PermissionRevokedEvent = PayloadOf<'permission:revoked'>;

/**
 * Payload of `command:executed`: a bot command ran (`result` is `success`, `error` or `denied`;
 * `executor` is the display name, `executorId` the user id), for the panel's live log.
 *
 * @example
 * ```ts
 * import type { CommandExecutedEvent } from '@wolaro/sync';
 * const onCommand = (e: CommandExecutedEvent): void => console.log(`/${e.command} by ${e.executor ?? e.executorId}: ${e.result}`);
 * ```
 */
export type CommandExecutedEvent = PayloadOf<'command:executed'>;

/**
 * Payload of `session:revoked`: panel session `sessionId` of user `userId` ended (`reason`:
 * `logout`, `expired`, `relogin` or `revoked`); every gateway node disconnects that session's
 * sockets.
 *
 * @example
 * ```ts
 * import type { SessionRevokedEvent } from '@wolaro/sync';
 * const onSession = (e: SessionRevokedEvent): void => console.log(`session ${e.sessionId} ended: ${e.reason}`);
 * ```
 */
export type SessionRevokedEvent = PayloadOf<'session:revoked'>;
