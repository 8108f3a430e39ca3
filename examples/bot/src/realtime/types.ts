import type { ChannelName, PayloadOf } from '@wolaro/sync';
import type { BotContext } from '../context.js';

/** A handler of one sync channel (next to the ones `GuildConfigCache` installs). */
export interface SyncHandler<C extends ChannelName = ChannelName> {
  channel: C;
  handle(ctx: BotContext, event: PayloadOf<C>): void;
}

/** Any {@link SyncHandler}, whatever its channel. */
export type AnySyncHandler = { [C in ChannelName]: SyncHandler<C> }[ChannelName];

/** Types a handler by its channel. */
export function defineSyncHandler<C extends ChannelName>(handler: SyncHandler<C>): SyncHandler<C> {
  return handler;
}
