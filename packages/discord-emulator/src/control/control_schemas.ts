import { z } from 'zod';

const id = z.string().regex(/^\d{1,20}$/, 'must be a snowflake (decimal string)');
const permission = z.union([z.string().regex(/^\d+$/), z.int().nonnegative(), z.bigint().nonnegative()]);
const channelType = z.union([
  z.enum(['text', 'voice', 'category', 'announcement', 'stage', 'forum']),
  z.int(),
]);

/** `POST /_emulator/users`. */
export const userInputSchema = z.strictObject({
  id: id.optional(),
  username: z.string().min(2).max(32),
  globalName: z.string().max(32).nullish(),
  avatar: z.string().nullish(),
  bot: z.boolean().optional(),
  email: z.string().nullish(),
  locale: z.string().optional(),
});

const roleInputSchema = z.strictObject({
  id: id.optional(),
  name: z.string().min(1).max(100),
  permissions: permission.optional(),
  color: z.int().min(0).max(0xffffff).optional(),
  hoist: z.boolean().optional(),
  mentionable: z.boolean().optional(),
  position: z.int().nonnegative().optional(),
});

const overwriteSchema = z.strictObject({
  id: z.string().min(1),
  type: z.union([z.literal('role'), z.literal('member'), z.literal(0), z.literal(1)]),
  allow: permission.optional(),
  deny: permission.optional(),
});

const channelInputSchema = z.strictObject({
  id: id.optional(),
  name: z.string().min(1).max(100),
  type: channelType.optional(),
  parent: z.string().nullish(),
  topic: z.string().max(1024).nullish(),
  nsfw: z.boolean().optional(),
  position: z.int().nonnegative().optional(),
  rateLimitPerUser: z.int().min(0).max(21600).optional(),
  permissionOverwrites: z.array(overwriteSchema).optional(),
});

const memberInputSchema = z.strictObject({
  userId: id,
  user: userInputSchema.omit({ id: true }).optional(),
  roles: z.array(z.string()).optional(),
  nick: z.string().max(32).nullish(),
  joinedAt: z.iso.datetime({ offset: true }).optional(),
});

/** `POST /_emulator/guilds`. */
export const guildInputSchema = z.strictObject({
  id: id.optional(),
  name: z.string().min(2).max(100),
  ownerId: id,
  icon: z.string().nullish(),
  description: z.string().nullish(),
  preferredLocale: z.string().optional(),
  features: z.array(z.string()).optional(),
  everyonePermissions: permission.optional(),
  roles: z.array(roleInputSchema).optional(),
  channels: z.array(channelInputSchema).optional(),
  members: z.array(memberInputSchema).optional(),
  includeBot: z.boolean().optional(),
  botPermissions: permission.optional(),
  botRoleId: id.optional(),
  systemChannel: z.string().nullish(),
});

/** `POST /_emulator/guilds/:id/members`. */
export { memberInputSchema };

/** `PATCH /_emulator/guilds/:id/members/:userId`. */
export const memberPatchSchema = z.strictObject({
  roles: z.array(z.string()).optional(),
  nick: z.string().max(32).nullish(),
  communicationDisabledUntil: z.iso.datetime({ offset: true }).nullish(),
});

/** `POST /_emulator/guilds/:id/roles`. */
export { roleInputSchema };

/** `PATCH /_emulator/guilds/:id/roles/:roleId`. */
export const rolePatchSchema = roleInputSchema.omit({ id: true }).partial();

/** `POST /_emulator/guilds/:id/channels`. */
export { channelInputSchema };

/** `PATCH /_emulator/channels/:id`. */
export const channelPatchSchema = channelInputSchema.omit({ id: true, type: true }).partial();

/** `POST /_emulator/channels/:id/messages`. */
export const messageInputSchema = z
  .strictObject({
    authorId: id,
    content: z.string().max(4000).optional(),
    embeds: z.array(z.record(z.string(), z.json())).max(10).optional(),
    replyTo: id.optional(),
  })
  .refine((m) => Boolean(m.content) || Boolean(m.embeds?.length), {
    message: 'content or embeds is required',
    path: ['content'],
  });

interface OptionShape {
  name: string;
  type: number;
  value?: string | number | boolean | undefined;
  options?: OptionShape[] | undefined;
  focused?: boolean | undefined;
}

const optionSchema: z.ZodType<OptionShape> = z.lazy(() =>
  z.strictObject({
    name: z.string().min(1),
    type: z.int().min(1).max(11),
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    options: z.array(optionSchema).optional(),
    focused: z.boolean().optional(),
  }),
);

/** `POST /_emulator/interactions`. */
export const interactionInputSchema = z.strictObject({
  guildId: id,
  channelId: id,
  userId: id,
  command: z.string().min(1).max(100),
  options: z
    .union([z.array(optionSchema), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))])
    .optional(),
  locale: z.string().optional(),
});

/** `POST /_emulator/gateway/disconnect`. */
export const disconnectSchema = z.strictObject({
  code: z.int().min(1000).max(4999).optional(),
  sessionId: z.string().optional(),
  invalidate: z.boolean().optional(),
});

/** `POST /_emulator/commands` (register commands without a bot); commands are validated like REST `PUT`. */
export const registerCommandsSchema = z.strictObject({
  guildId: id.nullish(),
  commands: z.array(z.looseObject({ name: z.string().min(1).max(32) })),
});

/** `PATCH /_emulator/guilds/:id`. */
export const guildPatchSchema = z.strictObject({
  ownerId: id.optional(),
  name: z.string().min(2).max(100).optional(),
});

/** `PUT /_emulator/channels/:id/messages/:messageId/reactions`: a user reacts (`👍` or `name:id`). */
export const reactionInputSchema = z.strictObject({
  userId: id,
  emoji: z.string().min(1).max(64),
});

/** `POST /_emulator/channels/:id/threads`: a user opens a thread (from a message, or a public/private one). */
export const threadInputSchema = z.strictObject({
  userId: id,
  name: z.string().min(1).max(100),
  messageId: id.optional(),
  private: z.boolean().optional(),
});

/** `PUT /_emulator/guilds/:id/bans/:userId`: a moderator bans a user. */
export const banInputSchema = z.strictObject({
  byUserId: id,
  reason: z.string().max(512).optional(),
  deleteMessageSeconds: z.int().min(0).max(604800).optional(),
});
