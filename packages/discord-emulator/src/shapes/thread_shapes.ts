import type { JsonObject } from '../json.js';
import { toJson } from '../json.js';
import type { ThreadMemberRecord } from '../state/records.js';
import type { EmulatorState } from '../state/state_store.js';
import { apiMember } from './guild_shapes.js';

/** A thread member object; `withMember` adds the guild member (with its user). */
export function apiThreadMember(
  state: EmulatorState,
  member: ThreadMemberRecord,
  withMember = false,
): JsonObject {
  const out: Record<string, unknown> = {
    id: member.channel_id,
    user_id: member.user_id,
    join_timestamp: member.join_timestamp,
    flags: 0,
  };
  const thread = state.channel(member.channel_id);
  const guildMember = thread ? state.member(thread.guild_id, member.user_id) : undefined;
  if (withMember && guildMember) out['member'] = apiMember(state, guildMember);
  return toJson(out);
}
