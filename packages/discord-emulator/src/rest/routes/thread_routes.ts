import { z } from 'zod';
import type { EmulatorContext } from '../../domain/context.js';
import { messageIn } from '../../domain/reactions.js';
import { createThread, joinThread, leaveThread, requireThread } from '../../domain/threads.js';
import { Errors } from '../../errors.js';
import { json, noContent } from '../../http/http_result.js';
import { PermissionFlags } from '../../permission_flags.js';
import { apiChannel } from '../../shapes/channel_shapes.js';
import { apiThreadMember } from '../../shapes/thread_shapes.js';
import { compareSnowflakes } from '../../snowflake.js';
import type { ChannelRecord } from '../../state/records.js';
import { guildRoute } from '../bot_routes.js';
import { actor, botChannel, botGuild, requireChannelPermission } from '../guard.js';
import type { RestRequest, RestRoute } from '../rest_types.js';
import { validateBody } from '../validate_body.js';

const p = (req: RestRequest, name: string): string => req.params[name] ?? '';
const channelRoute = (handler: RestRoute['handler']): RestRoute => ({
  auth: 'bot',
  major: 'channelId',
  handler,
});
const ARCHIVE_DURATIONS = [60, 1440, 4320, 10080] as const;
const threadSchema = z.looseObject({
  name: z.string().min(1).max(100),
  auto_archive_duration: z.union(ARCHIVE_DURATIONS.map((d) => z.literal(d))).nullish(),
  rate_limit_per_user: z.int().min(0).max(21600).nullish(),
  type: z.union([z.literal(10), z.literal(11), z.literal(12)]).nullish(),
  invitable: z.boolean().nullish(),
});

function threadParent(ctx: EmulatorContext, req: RestRequest): ChannelRecord {
  const parent = botChannel(ctx, p(req, 'channelId'));
  if (parent.thread || ![0, 5, 15].includes(parent.type))
    throw Errors.invalidField(['type'], 'BASE_TYPE_INVALID', 'Cannot create a thread in this channel');
  return parent;
}

/** `POST /channels/:channelId/messages/:messageId/threads` (CREATE_PUBLIC_THREADS); THREAD_CREATE, 201. */
export const threadFromMessage = channelRoute((ctx, req) => {
  const parent = threadParent(ctx, req);
  requireChannelPermission(ctx, parent.id, PermissionFlags.CreatePublicThreads);
  const message = messageIn(ctx, parent.id, p(req, 'messageId'));
  const { value } = validateBody(req, threadSchema);
  const thread = createThread(ctx, {
    parentId: parent.id,
    name: value.name,
    ownerId: ctx.state.application().id,
    messageId: message.id,
    autoArchiveDuration: value.auto_archive_duration ?? undefined,
    rateLimitPerUser: value.rate_limit_per_user ?? undefined,
    reason: actor(ctx, req).reason,
  });
  return json(201, apiChannel(thread));
});

/** `POST /channels/:channelId/threads` (private by default; CREATE_PUBLIC/PRIVATE_THREADS); THREAD_CREATE, 201. */
export const threadWithoutMessage = channelRoute((ctx, req) => {
  const parent = threadParent(ctx, req);
  const { value } = validateBody(req, threadSchema);
  const type = parent.type === 5 ? 10 : (value.type ?? 12);
  requireChannelPermission(
    ctx,
    parent.id,
    type === 12 ? PermissionFlags.CreatePrivateThreads : PermissionFlags.CreatePublicThreads,
  );
  const thread = createThread(ctx, {
    parentId: parent.id,
    name: value.name,
    ownerId: ctx.state.application().id,
    type,
    autoArchiveDuration: value.auto_archive_duration ?? undefined,
    invitable: value.invitable ?? undefined,
    rateLimitPerUser: value.rate_limit_per_user ?? undefined,
    reason: actor(ctx, req).reason,
  });
  const member = ctx.state.threadMembers.get(`${thread.id}:${ctx.state.application().id}`);
  return json(201, {
    ...apiChannel(thread),
    ...(member ? { member: apiThreadMember(ctx.state, member) } : {}),
  });
});

function threadOf(ctx: EmulatorContext, req: RestRequest) {
  const channel = botChannel(ctx, p(req, 'channelId'));
  return requireThread(ctx, channel.id);
}

const userOf = (ctx: EmulatorContext, req: RestRequest) =>
  req.params['userId'] === undefined || req.params['userId'] === '@me'
    ? ctx.state.application().id
    : p(req, 'userId');

/** `PUT /channels/:id/thread-members/@me` and `/:userId` (others: SEND_MESSAGES_IN_THREADS); 204. */
export const addThreadMember = channelRoute((ctx, req) => {
  const thread = threadOf(ctx, req);
  const userId = userOf(ctx, req);
  if (userId !== ctx.state.application().id)
    requireChannelPermission(ctx, thread.id, PermissionFlags.SendMessagesInThreads);
  joinThread(ctx, thread.id, userId);
  return noContent();
});

/** `DELETE /channels/:id/thread-members/@me` and `/:userId` (others: MANAGE_THREADS or thread owner); 204. */
export const removeThreadMember = channelRoute((ctx, req) => {
  const thread = threadOf(ctx, req);
  const userId = userOf(ctx, req);
  const botId = ctx.state.application().id;
  if (userId !== botId && thread.thread.owner_id !== botId)
    requireChannelPermission(ctx, thread.id, PermissionFlags.ManageThreads);
  leaveThread(ctx, thread.id, userId);
  return noContent();
});

/** `GET /channels/:id/thread-members/:userId` (`with_member`); 404 Unknown Member when not in the thread. */
export const getThreadMember = channelRoute((ctx, req) => {
  const thread = threadOf(ctx, req);
  const member = ctx.state.threadMembers.get(`${thread.id}:${userOf(ctx, req)}`);
  if (!member) throw Errors.unknownMember();
  return json(200, apiThreadMember(ctx.state, member, req.query.get('with_member') === 'true'));
});

/** `GET /channels/:id/thread-members` (`with_member`, `after`, `limit`). */
export const listThreadMembers = channelRoute((ctx, req) => {
  const thread = threadOf(ctx, req);
  const after = req.query.get('after') ?? '0';
  const limit = Number(req.query.get('limit') ?? 100);
  const members = ctx.state.threadMembers
    .where((m) => m.channel_id === thread.id && compareSnowflakes(m.user_id, after) > 0)
    .sort((a, b) => compareSnowflakes(a.user_id, b.user_id))
    .slice(0, limit);
  return json(
    200,
    members.map((m) => apiThreadMember(ctx.state, m, req.query.get('with_member') === 'true')),
  );
});

function threadList(ctx: EmulatorContext, threads: ChannelRecord[]) {
  const botId = ctx.state.application().id;
  return {
    threads: threads.map(apiChannel),
    members: threads.flatMap((t) => {
      const member = ctx.state.threadMembers.get(`${t.id}:${botId}`);
      return member ? [apiThreadMember(ctx.state, member)] : [];
    }),
    has_more: false,
  };
}

/** `GET /guilds/:guildId/threads/active`: every unarchived thread of the guild, with the bot's memberships. */
export const activeGuildThreads: RestRoute = guildRoute((ctx, req) => {
  const guild = botGuild(ctx, p(req, 'guildId'));
  return json(
    200,
    threadList(
      ctx,
      ctx.state.channels(guild.id).filter((c) => c.thread && !c.thread.archived),
    ),
  );
});

function archived(kind: 'public' | 'private' | 'joined'): RestRoute {
  return channelRoute((ctx, req) => {
    const parent = botChannel(ctx, p(req, 'channelId'));
    requireChannelPermission(ctx, parent.id, PermissionFlags.ReadMessageHistory);
    if (kind === 'private') requireChannelPermission(ctx, parent.id, PermissionFlags.ManageThreads);
    const botId = ctx.state.application().id;
    const threads = ctx.state
      .channels(parent.guild_id)
      .filter(
        (c) =>
          c.parent_id === parent.id &&
          c.thread?.archived === true &&
          (kind === 'public' ? c.type !== 12 : c.type === 12) &&
          (kind !== 'joined' || ctx.state.threadMembers.get(`${c.id}:${botId}`) !== undefined),
      );
    return json(200, threadList(ctx, threads));
  });
}

/** `GET /channels/:id/threads/archived/public`. */
export const archivedPublicThreads = archived('public');
/** `GET /channels/:id/threads/archived/private` (MANAGE_THREADS). */
export const archivedPrivateThreads = archived('private');
/** `GET /channels/:id/users/@me/threads/archived/private`: archived private threads the bot joined. */
export const joinedArchivedPrivateThreads = archived('joined');
