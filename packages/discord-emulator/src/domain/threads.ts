import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiChannel } from '../shapes/channel_shapes.js';
import { apiThreadMember } from '../shapes/thread_shapes.js';
import type { ChannelRecord, ThreadInfo } from '../state/records.js';
import { AuditLogAction, audit } from './audit_log.js';
import type { EmulatorContext } from './context.js';

/** A thread to create. Without `messageId` it is a standalone thread (type 11 public or 12 private). */
export interface NewThread {
  parentId: string;
  name: string;
  ownerId: string;
  type?: number | undefined;
  messageId?: string | undefined;
  autoArchiveDuration?: number | undefined;
  invitable?: boolean | undefined;
  rateLimitPerUser?: number | undefined;
  reason?: string | null | undefined;
}

/** Changes to a thread. */
export interface ThreadPatch {
  name?: string | undefined;
  archived?: boolean | undefined;
  locked?: boolean | undefined;
  autoArchiveDuration?: number | undefined;
  invitable?: boolean | undefined;
  rateLimitPerUser?: number | undefined;
}

/** A thread that must exist (404 Unknown Channel otherwise). */
export function requireThread(
  ctx: EmulatorContext,
  channelId: string,
): ChannelRecord & { thread: ThreadInfo } {
  const channel = ctx.state.channel(channelId);
  if (!channel?.thread) throw Errors.unknownChannel();
  return channel as ChannelRecord & { thread: ThreadInfo };
}

function dispatchThread(ctx: EmulatorContext, t: string, d: object, guildId: string): void {
  ctx.gateway.dispatch({ t, d, guildId, intents: GatewayIntents.Guilds });
}

/** Creates a thread (THREAD_CREATE); from a message, the thread takes the message's id, like on Discord. */
export function createThread(ctx: EmulatorContext, input: NewThread): ChannelRecord & { thread: ThreadInfo } {
  const parent = ctx.state.channel(input.parentId);
  if (!parent || parent.thread) throw Errors.unknownChannel();
  const id = input.messageId ?? ctx.ids.next();
  if (ctx.state.channel(id))
    throw Errors.invalidField(
      ['message_id'],
      'THREAD_ALREADY_CREATED',
      'A thread has already been created for this message',
    );
  const now = new Date().toISOString();
  const type = input.messageId ? (parent.type === 5 ? 10 : 11) : (input.type ?? 12);
  const thread: ChannelRecord & { thread: ThreadInfo } = {
    id,
    guild_id: parent.guild_id,
    type,
    name: input.name,
    position: 0,
    parent_id: parent.id,
    topic: null,
    nsfw: parent.nsfw,
    rate_limit_per_user: input.rateLimitPerUser ?? 0,
    permission_overwrites: [],
    last_message_id: null,
    bitrate: 0,
    user_limit: 0,
    thread: {
      owner_id: input.ownerId,
      archived: false,
      locked: false,
      auto_archive_duration: input.autoArchiveDuration ?? 4320,
      archive_timestamp: now,
      create_timestamp: now,
      invitable: input.invitable ?? true,
      message_count: 0,
      member_count: 0,
    },
  };
  ctx.state.putChannel(thread);
  dispatchThread(ctx, 'THREAD_CREATE', { ...apiChannel(thread), newly_created: true }, thread.guild_id);
  joinThread(ctx, thread.id, input.ownerId);
  audit(ctx, {
    guildId: thread.guild_id,
    userId: input.ownerId,
    targetId: thread.id,
    action: AuditLogAction.ThreadCreate,
    reason: input.reason,
  });
  return requireThread(ctx, thread.id);
}

/** Updates a thread (THREAD_UPDATE); archiving sets `archive_timestamp`. */
export function updateThread(ctx: EmulatorContext, channelId: string, patch: ThreadPatch): ChannelRecord {
  const current = requireThread(ctx, channelId);
  const info: ThreadInfo = { ...current.thread };
  if (patch.archived !== undefined && patch.archived !== info.archived) {
    info.archived = patch.archived;
    info.archive_timestamp = new Date().toISOString();
  }
  if (patch.locked !== undefined) info.locked = patch.locked;
  if (patch.autoArchiveDuration !== undefined) info.auto_archive_duration = patch.autoArchiveDuration;
  if (patch.invitable !== undefined) info.invitable = patch.invitable;
  const next: ChannelRecord = {
    ...current,
    name: patch.name ?? current.name,
    rate_limit_per_user: patch.rateLimitPerUser ?? current.rate_limit_per_user,
    thread: info,
  };
  ctx.state.putChannel(next);
  dispatchThread(ctx, 'THREAD_UPDATE', apiChannel(next), next.guild_id);
  return next;
}

/** Deletes a thread with its messages (THREAD_DELETE). */
export function deleteThread(ctx: EmulatorContext, channelId: string): ChannelRecord {
  const thread = requireThread(ctx, channelId);
  ctx.state.deleteChannel(thread.id);
  dispatchThread(
    ctx,
    'THREAD_DELETE',
    { id: thread.id, guild_id: thread.guild_id, parent_id: thread.parent_id, type: thread.type },
    thread.guild_id,
  );
  return thread;
}

function setMemberCount(ctx: EmulatorContext, channelId: string): number {
  const thread = requireThread(ctx, channelId);
  const count = ctx.state.threadMembers.where((m) => m.channel_id === channelId).length;
  ctx.state.putChannel({ ...thread, thread: { ...thread.thread, member_count: count } });
  return count;
}

/** Adds a user to a thread (THREAD_MEMBERS_UPDATE; the bot itself also gets THREAD_MEMBER_UPDATE). */
export function joinThread(ctx: EmulatorContext, channelId: string, userId: string): void {
  const thread = requireThread(ctx, channelId);
  if (thread.thread.archived) throw Errors.threadArchived();
  if (!ctx.state.member(thread.guild_id, userId)) throw Errors.unknownMember();
  if (ctx.state.threadMembers.get(`${channelId}:${userId}`)) return;
  const member = ctx.state.threadMembers.put({
    channel_id: channelId,
    user_id: userId,
    join_timestamp: new Date().toISOString(),
  });
  const count = setMemberCount(ctx, channelId);
  const guildId = thread.guild_id;
  if (userId === ctx.state.application().id) {
    dispatchThread(
      ctx,
      'THREAD_MEMBER_UPDATE',
      { ...apiThreadMember(ctx.state, member), guild_id: guildId },
      guildId,
    );
  }
  ctx.gateway.dispatch({
    t: 'THREAD_MEMBERS_UPDATE',
    d: {
      id: channelId,
      guild_id: guildId,
      member_count: count,
      added_members: [apiThreadMember(ctx.state, member, true)],
    },
    guildId,
    intents: GatewayIntents.GuildMembers,
  });
}

/** Removes a user from a thread (THREAD_MEMBERS_UPDATE). */
export function leaveThread(ctx: EmulatorContext, channelId: string, userId: string): void {
  const thread = requireThread(ctx, channelId);
  if (!ctx.state.threadMembers.delete(`${channelId}:${userId}`)) return;
  const count = setMemberCount(ctx, channelId);
  ctx.gateway.dispatch({
    t: 'THREAD_MEMBERS_UPDATE',
    d: { id: channelId, guild_id: thread.guild_id, member_count: count, removed_member_ids: [userId] },
    guildId: thread.guild_id,
    intents: GatewayIntents.GuildMembers,
  });
}
