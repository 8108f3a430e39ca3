import { EmulatorError } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import type { MessageRecord } from '../state/records.js';
import { AuditLogAction, audit } from './audit_log.js';
import type { EmulatorContext } from './context.js';

function pinsUpdate(ctx: EmulatorContext, message: MessageRecord): void {
  const last = ctx.state.pins
    .where((p) => p.channel_id === message.channel_id)
    .map((p) => p.pinned_at)
    .sort()
    .at(-1);
  const d: Record<string, unknown> = { channel_id: message.channel_id, last_pin_timestamp: last ?? null };
  if (message.guild_id) d['guild_id'] = message.guild_id;
  ctx.gateway.dispatch({
    t: 'CHANNEL_PINS_UPDATE',
    d,
    guildId: message.guild_id,
    intents: message.guild_id ? GatewayIntents.Guilds : GatewayIntents.DirectMessages,
  });
}

/** The audit log entry of a pin or unpin in a guild (none in DMs). */
function auditPin(
  ctx: EmulatorContext,
  message: MessageRecord,
  action: number,
  actorId: string,
  reason: string | null | undefined,
): void {
  if (!message.guild_id) return;
  audit(ctx, {
    guildId: message.guild_id,
    userId: actorId,
    targetId: message.author_id,
    action,
    reason,
    options: { channel_id: message.channel_id, message_id: message.id },
  });
}

/** Pins a message (CHANNEL_PINS_UPDATE, audit log); at most 250 pins per channel (30003). */
export function pinMessage(
  ctx: EmulatorContext,
  message: MessageRecord,
  actorId: string,
  reason?: string | null,
): void {
  if (ctx.state.pins.get(message.id)) return;
  if (ctx.state.pins.where((p) => p.channel_id === message.channel_id).length >= 250) {
    throw new EmulatorError(400, 30003, 'Maximum number of pins reached (250)');
  }
  ctx.state.pins.put({
    channel_id: message.channel_id,
    message_id: message.id,
    pinned_at: new Date().toISOString(),
  });
  ctx.state.putMessage({ ...message, pinned: true });
  pinsUpdate(ctx, message);
  auditPin(ctx, message, AuditLogAction.MessagePin, actorId, reason);
}

/** Unpins a message (CHANNEL_PINS_UPDATE, audit log). */
export function unpinMessage(
  ctx: EmulatorContext,
  message: MessageRecord,
  actorId: string,
  reason?: string | null,
): void {
  if (!ctx.state.pins.delete(message.id)) return;
  ctx.state.putMessage({ ...message, pinned: false });
  pinsUpdate(ctx, message);
  auditPin(ctx, message, AuditLogAction.MessageUnpin, actorId, reason);
}
