import type { z } from 'zod';
import type { BuiltinChannels } from './builtin.js';
import type { ChannelMap } from './define.js';

/**
 * A channel name of a channel map (the built-in five by default).
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
