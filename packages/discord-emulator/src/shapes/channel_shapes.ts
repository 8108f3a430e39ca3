import type { ChannelRecord } from '../state/records.js';
import type { ApiChannel } from './api_types.js';

const TEXT_TYPES = new Set([0, 5, 15]);
const VOICE_TYPES = new Set([2, 13]);

/** Whether messages can be sent in a channel of this type (text, voice text chat, announcement, stage). */
export function isTextBased(type: number): boolean {
  return type === 0 || type === 2 || type === 5 || type === 13;
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
  if (VOICE_TYPES.has(channel.type)) {
    out.bitrate = channel.bitrate;
    out.user_limit = channel.user_limit;
    out.rtc_region = null;
  }
  return out;
}
