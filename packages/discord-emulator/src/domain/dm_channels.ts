import { Errors } from '../errors.js';
import type { DmChannelRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';

/** The DM channel between the bot and a user, created on first use (`POST /users/@me/channels`). */
export function openDm(ctx: EmulatorContext, userId: string): DmChannelRecord {
  const user = ctx.state.user(userId);
  if (!user) throw Errors.unknownUser();
  if (userId === ctx.state.application().id || user.bot) throw Errors.cannotDm();
  const existing = ctx.state.dmChannels.where((c) => c.recipient_id === userId)[0];
  if (existing) return existing;
  return ctx.state.dmChannels.put({ id: ctx.ids.next(), recipient_id: userId, last_message_id: null });
}
