import type { EmulatorContext } from '../../domain/context.js';
import {
  createFollowUp,
  editInteractionMessage,
  type InteractionMessageBody,
  requireInteractionByToken,
  requireInteractionMessage,
  respondToInteraction,
} from '../../domain/interactions.js';
import { deleteMessage, EPHEMERAL, LOADING } from '../../domain/messages.js';
import { invalidFormBody } from '../../errors.js';
import { type HttpResult, json, noContent } from '../../http/http_result.js';
import { type JsonObject, type JsonValue, toJson } from '../../json.js';
import { apiMessage } from '../../shapes/message_shapes.js';
import type { AttachmentRecord, MessageRecord } from '../../state/records.js';
import { storeAttachments } from '../attachments.js';
import {
  callbackMessageSchema,
  interactionCallbackSchema,
  messageEditSchema,
  webhookExecuteSchema,
} from '../rest_schemas.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

interface MessageFields {
  content?: string | null | undefined;
  embeds?: object[] | null | undefined;
  components?: object[] | null | undefined;
  flags?: number | null | undefined;
  tts?: boolean | null | undefined;
}

function toBody(value: MessageFields, attachments: AttachmentRecord[] | undefined): InteractionMessageBody {
  const body: InteractionMessageBody = {
    content: value.content,
    embeds: value.embeds == null ? value.embeds : toJson<JsonValue[]>(value.embeds),
    components: value.components == null ? value.components : toJson<JsonValue[]>(value.components),
    flags: value.flags,
    tts: value.tts,
  };
  if (attachments !== undefined) body.attachments = attachments;
  return body;
}

const restMessage = (ctx: EmulatorContext, message: MessageRecord) =>
  apiMessage(ctx.state, message, { baseUrl: ctx.config.baseUrl });

/** `POST /interactions/:interactionId/:interactionToken/callback` (no auth; `with_response`). */
export const interactionCallback: RestRoute = {
  auth: 'none',
  major: 'interactionId',
  handler: (ctx, req) => {
    const { value, files } = validateBody(req, interactionCallbackSchema);
    const data = value.data ?? null;
    let body: InteractionMessageBody | null = null;
    const record = ctx.state.interaction(req.params['interactionId'] ?? '');
    if (value.type === 4 || value.type === 5) {
      const parsed = callbackMessageSchema.safeParse(data ?? {});
      if (!parsed.success) throw invalidFormBody(parsed.error);
      const attachments =
        record && (parsed.data.attachments || files.length)
          ? storeAttachments(ctx, record.channel_id, parsed.data.attachments, files)
          : undefined;
      body = toBody(parsed.data, attachments);
    }
    const message = respondToInteraction(
      ctx,
      req.params['interactionId'] ?? '',
      req.params['interactionToken'] ?? '',
      value.type,
      body,
      data === null ? null : toJson<JsonObject>(data),
    );
    if (req.query.get('with_response') !== 'true') return noContent();
    const interaction: JsonObject = {
      id: req.params['interactionId'] ?? '',
      type: 2,
      activity_instance_id: null,
    };
    if (message) {
      interaction['response_message_id'] = message.id;
      interaction['response_message_loading'] = (message.flags & LOADING) !== 0;
      interaction['response_message_ephemeral'] = (message.flags & EPHEMERAL) !== 0;
    }
    const resource: Record<string, unknown> = { type: value.type };
    if (message) resource['message'] = restMessage(ctx, message);
    return json(200, { interaction, resource });
  },
};

/** The interaction a `/webhooks/:applicationId/:webhookToken/…` route names. */
const interactionOf = (ctx: EmulatorContext, req: RestRequest) =>
  requireInteractionByToken(ctx, req.params['applicationId'] ?? '', req.params['webhookToken'] ?? '');

/** An interaction follow-up route (`/webhooks/:applicationId/:webhookToken…`, no auth); the handler gets the interaction. */
function followUpRoute(
  handler: (ctx: EmulatorContext, req: RestRequest, record: ReturnType<typeof interactionOf>) => HttpResult,
): RestRoute {
  return {
    auth: 'none',
    major: 'webhookToken',
    handler: (ctx, req) => handler(ctx, req, interactionOf(ctx, req)),
  };
}

/** `POST /webhooks/:applicationId/:webhookToken`: interaction follow-up (`wait=true` returns the message). */
export const executeWebhook: RestRoute = followUpRoute((ctx, req, record) => {
  const { value, files } = validateBody(req, webhookExecuteSchema);
  const attachments =
    value.attachments || files.length
      ? storeAttachments(ctx, record.channel_id, value.attachments, files)
      : undefined;
  const message = createFollowUp(ctx, record, toBody(value, attachments));
  return req.query.get('wait') === 'true' ? json(200, restMessage(ctx, message)) : noContent();
});

/** `GET /webhooks/:applicationId/:webhookToken/messages/:messageId` (`@original` or a follow-up). */
export const getWebhookMessage: RestRoute = followUpRoute((ctx, req, record) => {
  return json(200, restMessage(ctx, requireInteractionMessage(ctx, record, req.params['messageId'] ?? '')));
});

/** `PATCH /webhooks/:applicationId/:webhookToken/messages/:messageId` (`editReply`). */
export const editWebhookMessage: RestRoute = followUpRoute((ctx, req, record) => {
  const messageId = req.params['messageId'] ?? '';
  const existing = requireInteractionMessage(ctx, record, messageId);
  const { value, files } = validateBody(req, messageEditSchema);
  const attachments =
    value.attachments !== undefined || files.length
      ? storeAttachments(ctx, record.channel_id, value.attachments, files, existing.attachments)
      : undefined;
  const message = editInteractionMessage(ctx, record, messageId, toBody(value, attachments));
  return json(200, restMessage(ctx, message));
});

/** `DELETE /webhooks/:applicationId/:webhookToken/messages/:messageId` (`deleteReply`). */
export const deleteWebhookMessage: RestRoute = followUpRoute((ctx, req, record) => {
  deleteMessage(ctx, requireInteractionMessage(ctx, record, req.params['messageId'] ?? ''));
  return noContent();
});
