import { randomBytes } from 'node:crypto';
import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import type { WebhookRecord } from '../state/records.js';
import { AuditLogAction, audit } from './audit_log.js';
import type { EmulatorContext } from './context.js';

function webhooksUpdate(ctx: EmulatorContext, webhook: WebhookRecord): void {
  ctx.gateway.dispatch({
    t: 'WEBHOOKS_UPDATE',
    d: { guild_id: webhook.guild_id, channel_id: webhook.channel_id },
    guildId: webhook.guild_id,
    intents: GatewayIntents.GuildWebhooks,
  });
}

/** A webhook that must exist; with `token`, it must match (401 Invalid Webhook Token). */
export function requireWebhook(ctx: EmulatorContext, id: string, token?: string): WebhookRecord {
  const webhook = ctx.state.webhooks.get(id);
  if (!webhook) throw Errors.unknownWebhook();
  if (token !== undefined && token !== webhook.token) throw Errors.invalidWebhookToken();
  return webhook;
}

/** Creates an incoming webhook in a guild channel (WEBHOOKS_UPDATE, audit log). */
export function createWebhook(
  ctx: EmulatorContext,
  channelId: string,
  input: {
    name: string;
    avatar?: string | null | undefined;
    creatorId: string;
    reason?: string | null | undefined;
  },
): WebhookRecord {
  const channel = ctx.state.channel(channelId);
  if (!channel || channel.thread) throw Errors.unknownChannel();
  const botId = ctx.state.application().id;
  const webhook = ctx.state.webhooks.put({
    id: ctx.ids.next(),
    guild_id: channel.guild_id,
    channel_id: channel.id,
    name: input.name,
    avatar: input.avatar ?? null,
    token: randomBytes(34).toString('base64url'),
    creator_id: input.creatorId,
    application_id: input.creatorId === botId ? botId : null,
  });
  webhooksUpdate(ctx, webhook);
  audit(ctx, {
    guildId: webhook.guild_id,
    userId: input.creatorId,
    targetId: webhook.id,
    action: AuditLogAction.WebhookCreate,
    reason: input.reason,
  });
  return webhook;
}

/** Edits a webhook (name, avatar, channel) (WEBHOOKS_UPDATE). */
export function updateWebhook(
  ctx: EmulatorContext,
  webhook: WebhookRecord,
  patch: { name?: string | undefined; avatar?: string | null | undefined; channelId?: string | undefined },
): WebhookRecord {
  let channelId = webhook.channel_id;
  if (patch.channelId !== undefined) {
    const channel = ctx.state.channel(patch.channelId);
    if (!channel || channel.guild_id !== webhook.guild_id) throw Errors.unknownChannel();
    channelId = channel.id;
  }
  const next = ctx.state.webhooks.put({
    ...webhook,
    name: patch.name ?? webhook.name,
    avatar: patch.avatar === undefined ? webhook.avatar : patch.avatar,
    channel_id: channelId,
  });
  webhooksUpdate(ctx, next);
  return next;
}

/** Deletes a webhook (WEBHOOKS_UPDATE). */
export function deleteWebhook(ctx: EmulatorContext, webhook: WebhookRecord): void {
  ctx.state.webhooks.delete(webhook.id);
  webhooksUpdate(ctx, webhook);
}
