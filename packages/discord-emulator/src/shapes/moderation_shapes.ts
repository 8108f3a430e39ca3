import type { JsonObject } from '../json.js';
import { toJson } from '../json.js';
import type { AuditLogRecord, BanRecord } from '../state/records.js';
import type { EmulatorState } from '../state/state_store.js';
import { apiUser, unknownUser } from './user_shapes.js';

/** A ban as Discord's ban object. */
export function apiBan(state: EmulatorState, ban: BanRecord): JsonObject {
  return toJson({ user: apiUser(state.user(ban.user_id) ?? unknownUser(ban.user_id)), reason: ban.reason });
}

/** An audit log entry as Discord's audit log entry object. */
export function apiAuditLogEntry(entry: AuditLogRecord): JsonObject {
  const out: JsonObject = {
    id: entry.id,
    action_type: entry.action_type,
    user_id: entry.user_id,
    target_id: entry.target_id,
    changes: toJson(entry.changes),
  };
  if (entry.options) out['options'] = { ...entry.options };
  if (entry.reason !== null) out['reason'] = entry.reason;
  return out;
}
