import type { JsonObject } from '../json.js';
import { toJson } from '../json.js';
import type { EmojiRecord, InviteRecord, WebhookRecord } from '../state/records.js';
import type { EmulatorState } from '../state/state_store.js';
import { apiUser, unknownUser } from './user_shapes.js';

/** A custom emoji as Discord's emoji object. */
export function apiEmoji(state: EmulatorState, emoji: EmojiRecord): JsonObject {
  return toJson({
    id: emoji.id,
    name: emoji.name,
    roles: [...emoji.roles],
    user: apiUser(state.user(emoji.creator_id) ?? unknownUser(emoji.creator_id)),
    require_colons: true,
    managed: false,
    animated: emoji.animated,
    available: true,
  });
}

/** A webhook as Discord's incoming webhook object; `withToken` for its creator (and by-token routes). */
export function apiWebhook(
  state: EmulatorState,
  webhook: WebhookRecord,
  baseUrl: string,
  withToken: boolean,
): JsonObject {
  const out: Record<string, unknown> = {
    application_id: webhook.application_id,
    avatar: webhook.avatar,
    channel_id: webhook.channel_id,
    guild_id: webhook.guild_id,
    id: webhook.id,
    name: webhook.name,
    type: 1,
    user: apiUser(state.user(webhook.creator_id) ?? unknownUser(webhook.creator_id)),
  };
  if (withToken) {
    out['token'] = webhook.token;
    out['url'] = `${baseUrl}/api/webhooks/${webhook.id}/${webhook.token}`;
  }
  return toJson(out);
}

/** An invite as Discord's guild invite object (with metadata: uses, max_uses, created_at…). */
export function apiInvite(state: EmulatorState, invite: InviteRecord, withMetadata = true): JsonObject {
  const guild = state.guild(invite.guild_id);
  const channel = state.channel(invite.channel_id);
  const expires =
    invite.max_age > 0 ? new Date(Date.parse(invite.created_at) + invite.max_age * 1000).toISOString() : null;
  const out: Record<string, unknown> = {
    type: 0,
    code: invite.code,
    inviter: apiUser(state.user(invite.inviter_id) ?? unknownUser(invite.inviter_id)),
    expires_at: expires,
    flags: 0,
    guild: {
      id: invite.guild_id,
      name: guild?.name ?? '',
      splash: null,
      banner: null,
      description: guild?.description ?? null,
      icon: guild?.icon ?? null,
      features: [...(guild?.features ?? [])],
      verification_level: guild?.verification_level ?? 0,
      vanity_url_code: null,
      nsfw_level: 0,
      nsfw: false,
      premium_subscription_count: 0,
    },
    guild_id: invite.guild_id,
    channel: { id: invite.channel_id, type: channel?.type ?? 0, name: channel?.name ?? null },
  };
  if (withMetadata) {
    Object.assign(out, {
      uses: invite.uses,
      max_uses: invite.max_uses,
      max_age: invite.max_age,
      temporary: invite.temporary,
      created_at: invite.created_at,
    });
  }
  return toJson(out);
}
