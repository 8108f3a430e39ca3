import { z } from 'zod';

const snowflake = z.string().regex(/^\d{1,20}$/, 'Value is not snowflake.');
const jsonObject = z.looseObject({});
const SLASH_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const commandName = z.string().regex(SLASH_NAME, 'Invalid command name');
/** USER and MESSAGE context-menu commands take any 1-32 character name (spaces and capitals allowed). */
const anyCommandName = z.string().min(1).max(32);
const localizations = z.record(z.string(), z.string().nullable()).nullish();

/** Body of `POST /channels/:id/messages`. */
export const messageCreateSchema = z.looseObject({
  content: z.string().max(2000).nullish(),
  nonce: z.union([z.string().max(25), z.int()]).nullish(),
  tts: z.boolean().nullish(),
  embeds: z.array(jsonObject).max(10).nullish(),
  allowed_mentions: jsonObject.nullish(),
  message_reference: z
    .looseObject({
      message_id: snowflake,
      channel_id: snowflake.nullish(),
      guild_id: snowflake.nullish(),
      fail_if_not_exists: z.boolean().nullish(),
      type: z.int().nullish(),
    })
    .nullish(),
  components: z.array(jsonObject).max(40).nullish(),
  sticker_ids: z.array(snowflake).max(3).nullish(),
  attachments: z
    .array(
      z.looseObject({
        id: z.union([z.string(), z.int()]),
        filename: z.string().nullish(),
        description: z.string().nullish(),
      }),
    )
    .max(10)
    .nullish(),
  flags: z.int().nullish(),
  enforce_nonce: z.boolean().nullish(),
  poll: jsonObject.nullish(),
});

/** Body of message edits (`PATCH /channels/:id/messages/:id`, webhook message edits). */
export const messageEditSchema = z.looseObject({
  content: z.string().max(2000).nullish(),
  embeds: z.array(jsonObject).max(10).nullish(),
  flags: z.int().nullish(),
  allowed_mentions: jsonObject.nullish(),
  components: z.array(jsonObject).max(40).nullish(),
  attachments: messageCreateSchema.shape.attachments,
});

/** Message fields shared by webhook executions and interaction callbacks. */
const messageBodyFields = {
  content: z.string().max(2000).nullish(),
  tts: z.boolean().nullish(),
  embeds: z.array(jsonObject).max(10).nullish(),
  allowed_mentions: jsonObject.nullish(),
  components: z.array(jsonObject).max(40).nullish(),
  attachments: messageCreateSchema.shape.attachments,
  flags: z.int().nullish(),
};

/** Body of `POST /webhooks/:appId/:token` (interaction follow-ups). */
export const webhookExecuteSchema = z.looseObject({
  ...messageBodyFields,
  username: z.string().nullish(),
  avatar_url: z.string().nullish(),
  thread_name: z.string().nullish(),
});

/** Body of `POST /interactions/:id/:token/callback`. */
export const interactionCallbackSchema = z.looseObject({
  type: z.int(),
  data: jsonObject.nullish(),
});

/** Data of a message-creating interaction callback. */
export const callbackMessageSchema = z.looseObject(messageBodyFields);

/** An application command option (recursive). */
export interface CommandOptionShape {
  type: number;
  name: string;
  description: string;
  options?: CommandOptionShape[] | null | undefined;
  [key: string]: unknown;
}

const commandOptionSchema: z.ZodType<CommandOptionShape> = z.lazy(() =>
  z.looseObject({
    type: z.int().min(1).max(11),
    name: commandName,
    name_localizations: localizations,
    description: z.string().min(1).max(100),
    description_localizations: localizations,
    required: z.boolean().nullish(),
    choices: z
      .array(z.looseObject({ name: z.string().min(1).max(100), value: z.union([z.string(), z.number()]) }))
      .max(25)
      .nullish(),
    options: z.array(commandOptionSchema).max(25).nullish(),
    autocomplete: z.boolean().nullish(),
  }),
);

/** The fields a command create and a command edit share. */
const commandFields = {
  name_localizations: localizations,
  description: z.string().max(100).nullish(),
  description_localizations: localizations,
  options: z.array(commandOptionSchema).max(25).nullish(),
  default_member_permissions: z.string().regex(/^\d+$/).nullish(),
  nsfw: z.boolean().nullish(),
  contexts: z.array(z.int()).nullish(),
  integration_types: z.array(z.int()).nullish(),
};

/** An application command (`SlashCommandBuilder#toJSON()` output). */
export const commandSchema = z
  .looseObject({
    ...commandFields,
    name: anyCommandName,
    dm_permission: z.boolean().nullish(),
    default_permission: z.boolean().nullish(),
    type: z.int().min(1).max(4).nullish(),
  })
  .superRefine((command, ctx) => {
    const type = command.type ?? 1;
    if (type === 1) {
      if (!command.description) {
        ctx.addIssue({ code: 'custom', path: ['description'], message: 'This field is required' });
      }
      if (!SLASH_NAME.test(command.name) || command.name !== command.name.toLowerCase()) {
        ctx.addIssue({ code: 'custom', path: ['name'], message: 'Invalid command name' });
      }
    }
  });

/** Whether a name is valid for a command of this type (chat-input names: lowercase, no spaces). */
export function validCommandName(type: number, name: string): boolean {
  return type !== 1 || (SLASH_NAME.test(name) && name === name.toLowerCase());
}

/** Body of `PUT /applications/:id/commands` (bulk overwrite). */
export const commandListSchema = z.array(commandSchema).max(100);

/** Body of `PATCH /applications/:id/commands/:id`. */
export const commandPatchSchema = z.looseObject({
  ...commandFields,
  name: anyCommandName.optional(),
});

/** Body of `PATCH /guilds/:id/members/:id`. */
export const memberPatchSchema = z.looseObject({
  nick: z.string().max(32).nullish(),
  roles: z.array(snowflake).nullish(),
  communication_disabled_until: z.string().nullish(),
  mute: z.boolean().nullish(),
  deaf: z.boolean().nullish(),
  channel_id: snowflake.nullish(),
  flags: z.int().nullish(),
});
