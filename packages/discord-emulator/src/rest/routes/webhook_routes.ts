import { z } from 'zod';
import type { EmulatorContext } from '../../domain/context.js';
import { createMessage, deleteMessage, editMessage } from '../../domain/messages.js';
import { createWebhook, deleteWebhook, requireWebhook, updateWebhook } from '../../domain/webhooks.js';
import { Errors } from '../../errors.js';
import { type HttpResult, json, noContent } from '../../http/http_result.js';
import { type JsonValue, toJson } from '../../json.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiWebhook } from '../../shapes/expression_shapes.js';
import { apiMessage } from '../../shapes/message_shapes.js';
import type { MessageRecord, WebhookRecord } from '../../state/records.js';
import { storeAttachments } from '../attachments.js';
import { channelAndGuildLists, channelRoute } from '../bot_routes.js';
import { actor, botChannel, botGuild, requireChannelPermission } from '../guard.js';
import { messageEditSchema, webhookExecuteSchema } from '../rest_schemas.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';
import * as interactions from './interaction_routes.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const webhookSchema = z.looseObject({
  name: z
    .string()
    .min(1)
    .max(80)
    .refine((n) => !/clyde|discord/i.test(n), 'Invalid webhook name'),
  avatar: z.string().nullish(),
});
const webhookPatchSchema = z.looseObject({
  name: webhookSchema.shape.name.nullish(),
  avatar: z.string().nullish(),
  channel_id: z
    .string()
    .regex(/^\d{1,20}$/)
    .nullish(),
});
const view = (ctx: EmulatorContext, webhook: WebhookRecord, withToken: boolean) =>
  apiWebhook(ctx.state, webhook, ctx.config.baseUrl, withToken);
const restMessage = (ctx: EmulatorContext, message: MessageRecord) =>
  apiMessage(ctx.state, message, { baseUrl: ctx.config.baseUrl });

/** `POST /channels/:channelId/webhooks` (MANAGE_WEBHOOKS); WEBHOOKS_UPDATE. */
export const createChannelWebhook: RestRoute = channelRoute((ctx, req) => {
  const channel = botChannel(ctx, p(req, 'channelId'));
  if (channel.thread || ![0, 2, 5, 13, 15].includes(channel.type)) throw Errors.unknownChannel();
  requireChannelPermission(ctx, channel.id, PermissionFlags.ManageWebhooks);
  const { value } = validateBody(req, webhookSchema);
  const { actorId, reason } = actor(ctx, req);
  const webhook = createWebhook(ctx, channel.id, {
    name: value.name,
    avatar: value.avatar,
    creatorId: actorId,
    reason,
  });
  return json(200, view(ctx, webhook, true));
});

const webhookLists = channelAndGuildLists<WebhookRecord>(
  PermissionFlags.ManageWebhooks,
  PermissionFlags.ManageWebhooks,
  (ctx, which) =>
    json(
      200,
      ctx.state.webhooks.where(which).map((w) => view(ctx, w, true)),
    ),
);

/** `GET /channels/:channelId/webhooks` (MANAGE_WEBHOOKS). */
export const listChannelWebhooks: RestRoute = webhookLists.channel;

/** `GET /guilds/:guildId/webhooks` (MANAGE_WEBHOOKS). */
export const listGuildWebhooks: RestRoute = webhookLists.guild;

/** A webhook reached with the bot token (MANAGE_WEBHOOKS) or with its own token (no auth). */
function reach(ctx: EmulatorContext, req: RestRequest): WebhookRecord {
  const token = req.params['webhookToken'];
  const webhook = requireWebhook(ctx, p(req, 'webhookId'), token);
  if (token === undefined) {
    botGuild(ctx, webhook.guild_id);
    requireChannelPermission(ctx, webhook.channel_id, PermissionFlags.ManageWebhooks);
  }
  return webhook;
}

/** `GET /webhooks/:webhookId[/:webhookToken]`. */
export function getWebhookRoute(auth: 'bot' | 'none'): RestRoute {
  return {
    auth,
    major: 'webhookId',
    handler: (ctx, req) => json(200, view(ctx, reach(ctx, req), auth === 'bot')),
  };
}

/** `PATCH /webhooks/:webhookId[/:webhookToken]` (`channel_id` only with the bot token); WEBHOOKS_UPDATE. */
export function editWebhookRoute(auth: 'bot' | 'none'): RestRoute {
  return {
    auth,
    major: 'webhookId',
    handler: (ctx, req) => {
      const webhook = reach(ctx, req);
      const { value } = validateBody(req, webhookPatchSchema);
      if (value.channel_id != null && auth === 'none') throw Errors.missingPermissions();
      const next = updateWebhook(ctx, webhook, {
        name: value.name ?? undefined,
        avatar: value.avatar,
        channelId: value.channel_id ?? undefined,
      });
      return json(200, view(ctx, next, auth === 'bot'));
    },
  };
}

/** `DELETE /webhooks/:webhookId[/:webhookToken]`; WEBHOOKS_UPDATE, 204. */
export function deleteWebhookRoute(auth: 'bot' | 'none'): RestRoute {
  return {
    auth,
    major: 'webhookId',
    handler: (ctx, req) => {
      deleteWebhook(ctx, reach(ctx, req));
      return noContent();
    },
  };
}

// `/webhooks/:applicationId/:webhookToken…` serves both channel webhooks and interaction follow-ups.
const asChannelWebhook = (ctx: EmulatorContext, req: RestRequest) => {
  const webhook = ctx.state.webhooks.get(p(req, 'applicationId'));
  if (!webhook) return undefined;
  if (webhook.token !== p(req, 'webhookToken')) throw Errors.invalidWebhookToken();
  return webhook;
};

/**
 * A `/webhooks/:applicationId/:webhookToken…` route: for a channel webhook the handler gets it;
 * anything else is the interaction follow-up route `followUp`.
 */
function channelWebhookRoute(
  followUp: RestRoute,
  handler: (ctx: EmulatorContext, req: RestRequest, webhook: WebhookRecord) => HttpResult,
): RestRoute {
  return {
    auth: 'none',
    major: 'webhookToken',
    handler: (ctx, req) => {
      const webhook = asChannelWebhook(ctx, req);
      return webhook ? handler(ctx, req, webhook) : followUp.handler(ctx, req);
    },
  };
}

function webhookMessage(ctx: EmulatorContext, webhook: WebhookRecord, req: RestRequest): MessageRecord {
  const message = ctx.state.message(p(req, 'messageId'));
  if (!message || message.webhook_id !== webhook.id) throw Errors.unknownMessage();
  return message;
}

/** `POST /webhooks/:id/:token` (`wait`, `thread_id`): posts as the webhook; MESSAGE_CREATE. */
export const executeWebhook: RestRoute = channelWebhookRoute(
  interactions.executeWebhook,
  (ctx, req, webhook) => {
    const { value, files } = validateBody(req, webhookExecuteSchema);
    const threadId = req.query.get('thread_id');
    const channelId = threadId ?? webhook.channel_id;
    const thread = threadId ? ctx.state.channel(threadId) : undefined;
    if (threadId && (!thread?.thread || thread.parent_id !== webhook.channel_id))
      throw Errors.unknownChannel();
    if (!value.content && !value.embeds?.length && !value.components?.length && files.length === 0)
      throw Errors.emptyMessage();
    const message = createMessage(ctx, {
      channelId,
      authorId: webhook.id,
      content: value.content ?? '',
      tts: value.tts ?? false,
      embeds: toJson<JsonValue[]>(value.embeds ?? []),
      components: toJson<JsonValue[]>(value.components ?? []),
      flags: (value.flags ?? 0) & ~64,
      attachments: storeAttachments(ctx, channelId, value.attachments, files),
      webhookId: webhook.id,
      applicationId: webhook.application_id,
    });
    return req.query.get('wait') === 'true' ? json(200, restMessage(ctx, message)) : noContent();
  },
);

/** `GET /webhooks/:id/:token/messages/:messageId`. */
export const getWebhookMessage: RestRoute = channelWebhookRoute(
  interactions.getWebhookMessage,
  (ctx, req, webhook) => {
    return json(200, restMessage(ctx, webhookMessage(ctx, webhook, req)));
  },
);

/** `PATCH /webhooks/:id/:token/messages/:messageId`; MESSAGE_UPDATE. */
export const editWebhookMessage: RestRoute = channelWebhookRoute(
  interactions.editWebhookMessage,
  (ctx, req, webhook) => {
    const message = webhookMessage(ctx, webhook, req);
    const { value } = validateBody(req, messageEditSchema);
    const edited = editMessage(ctx, message, {
      content: value.content,
      embeds: value.embeds === undefined ? undefined : toJson<JsonValue[]>(value.embeds),
      components: value.components === undefined ? undefined : toJson<JsonValue[]>(value.components),
    });
    return json(200, restMessage(ctx, edited));
  },
);

/** `DELETE /webhooks/:id/:token/messages/:messageId`; MESSAGE_DELETE, 204. */
export const deleteWebhookMessage: RestRoute = channelWebhookRoute(
  interactions.deleteWebhookMessage,
  (ctx, req, webhook) => {
    deleteMessage(ctx, webhookMessage(ctx, webhook, req));
    return noContent();
  },
);
