import type { JsonObject } from '../json.js';
import { toJson } from '../json.js';
import type { ChannelRecord, DmChannelRecord, ThreadInfo } from '../state/records.js';
import type { EmulatorState } from '../state/state_store.js';
import type { ApiChannel } from './api_types.js';
import { apiUser, unknownUser } from './user_shapes.js';

const TEXT_TYPES = new Set([0, 5, 15]);
const VOICE_TYPES = new Set([2, 13]);

/** Whether messages can be sent in a channel of this type (text, DM, voice text chat, announcement, threads, stage). */
export function isTextBased(type: number): boolean {
  return [0, 1, 2, 5, 10, 11, 12, 13].includes(type);
}

/** Whether a channel type is a thread (announcement, public or private thread). */
export function isThread(type: number): boolean {
  return type === 10 || type === 11 || type === 12;
}

/** A channel record as Discord's guild channel object. */
export function apiChannel(channel: ChannelRecord): ApiChannel {
  const out: ApiChannel = {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guild_id,
    name: channel.name,
    position: channel.position,
    parent_id: channel.parent_id,
    permission_overwrites: channel.permission_overwrites.map((o) => ({ ...o })),
    nsfw: channel.nsfw,
    flags: 0,
  };
  if (TEXT_TYPES.has(channel.type) || VOICE_TYPES.has(channel.type)) {
    out.last_message_id = channel.last_message_id;
    out.rate_limit_per_user = channel.rate_limit_per_user;
  }
  if (TEXT_TYPES.has(channel.type)) out.topic = channel.topic;
  if (channel.thread) return apiThread(channel, channel.thread, out);
  if (VOICE_TYPES.has(channel.type)) {
    out.bitrate = channel.bitrate;
    out.user_limit = channel.user_limit;
    out.rtc_region = null;
  }
  return out;
}

function apiThread(channel: ChannelRecord, thread: ThreadInfo, base: ApiChannel): ApiChannel {
  const {
    permission_overwrites: _overwrites,
    position: _position,
    topic: _topic,
    nsfw: _nsfw,
    ...rest
  } = base;
  return {
    ...rest,
    last_message_id: channel.last_message_id,
    rate_limit_per_user: channel.rate_limit_per_user,
    owner_id: thread.owner_id,
    thread_metadata: {
      archived: thread.archived,
      archive_timestamp: thread.archive_timestamp,
      auto_archive_duration: thread.auto_archive_duration,
      locked: thread.locked,
      create_timestamp: thread.create_timestamp,
      ...(channel.type === 12 ? { invitable: thread.invitable } : {}),
    },
    message_count: thread.message_count,
    member_count: thread.member_count,
    total_message_sent: thread.message_count,
  } as ApiChannel;
}

/** A DM channel as Discord's private channel object. */
export function apiDmChannel(state: EmulatorState, dm: DmChannelRecord): JsonObject {
  return toJson({
    id: dm.id,
    type: 1,
    last_message_id: dm.last_message_id,
    flags: 0,
    recipients: [apiUser(state.user(dm.recipient_id) ?? unknownUser(dm.recipient_id))],
  });
}
