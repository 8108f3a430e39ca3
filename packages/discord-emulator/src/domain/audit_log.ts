import { GatewayIntents } from '../gateway/intents.js';
import type { JsonValue } from '../json.js';
import { apiAuditLogEntry } from '../shapes/moderation_shapes.js';
import type { AuditLogRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';

/** Discord's audit log action types the emulator records. */
export const AuditLogAction = {
  GuildUpdate: 1,
  ChannelCreate: 10,
  ChannelUpdate: 11,
  ChannelDelete: 12,
  ChannelOverwriteCreate: 13,
  ChannelOverwriteUpdate: 14,
  ChannelOverwriteDelete: 15,
  MemberKick: 20,
  MemberBanAdd: 22,
  MemberBanRemove: 23,
  MemberUpdate: 24,
  MemberRoleUpdate: 25,
  RoleCreate: 30,
  RoleUpdate: 31,
  RoleDelete: 32,
  InviteCreate: 40,
  InviteDelete: 42,
  WebhookCreate: 50,
  WebhookUpdate: 51,
  WebhookDelete: 52,
  EmojiCreate: 60,
  EmojiUpdate: 61,
  EmojiDelete: 62,
  MessageDelete: 72,
  MessageBulkDelete: 73,
  MessagePin: 74,
  MessageUnpin: 75,
  ThreadCreate: 110,
  ThreadUpdate: 111,
  ThreadDelete: 112,
  CommandPermissionUpdate: 121,
} as const;

/** What an audit log entry records. */
export interface AuditInput {
  guildId: string;
  userId: string;
  targetId: string | null;
  action: number;
  reason?: string | null | undefined;
  changes?: { key: string; old_value?: JsonValue; new_value?: JsonValue }[];
  options?: Record<string, string> | null;
}

/** Stores an audit log entry and dispatches GUILD_AUDIT_LOG_ENTRY_CREATE (GUILD_MODERATION intent). */
export function audit(ctx: EmulatorContext, input: AuditInput): AuditLogRecord {
  const entry = ctx.state.auditLog.put({
    id: ctx.ids.next(),
    guild_id: input.guildId,
    user_id: input.userId,
    target_id: input.targetId,
    action_type: input.action,
    reason: input.reason ?? null,
    changes: input.changes ?? [],
    options: input.options ?? null,
  });
  ctx.gateway.dispatch({
    t: 'GUILD_AUDIT_LOG_ENTRY_CREATE',
    d: { ...apiAuditLogEntry(entry), guild_id: entry.guild_id },
    guildId: entry.guild_id,
    intents: GatewayIntents.GuildModeration,
  });
  return entry;
}

/** The `changes` of an update: one `{ key, old_value, new_value }` per field that differs. */
export function diff(
  before: object,
  after: object,
): { key: string; old_value?: JsonValue; new_value?: JsonValue }[] {
  const a = before as Record<string, JsonValue>;
  const b = after as Record<string, JsonValue>;
  return Object.keys(b)
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => ({ key, old_value: a[key] ?? null, new_value: b[key] ?? null }));
}
