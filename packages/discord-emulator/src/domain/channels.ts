import { Errors } from '../errors.js';
import { GatewayIntents } from '../gateway/intents.js';
import { apiChannel } from '../shapes/channel_shapes.js';
import type { ChannelRecord } from '../state/records.js';
import type { EmulatorContext } from './context.js';
import { buildChannel, buildOverwrites, requireGuild, resolveChannelRef } from './guilds.js';
import type { ChannelInput, ChannelPatch } from './inputs.js';

/** A channel that must exist. */
export function requireChannel(ctx: EmulatorContext, channelId: string): ChannelRecord {
  const channel = ctx.state.channel(channelId);
  if (!channel) throw Errors.unknownChannel();
  return channel;
}

function dispatchChannel(ctx: EmulatorContext, t: string, channel: ChannelRecord): void {
  ctx.gateway.dispatch({
    t,
    d: apiChannel(channel),
    guildId: channel.guild_id,
    intents: GatewayIntents.Guilds,
  });
}

/** Creates a guild channel (CHANNEL_CREATE). */
export function createChannel(ctx: EmulatorContext, guildId: string, input: ChannelInput): ChannelRecord {
  requireGuild(ctx, guildId);
  if (input.id !== undefined && ctx.state.channel(input.id)) {
    throw Errors.badRequest(`Channel ${input.id} already exists`);
  }
  const position = ctx.state.channels(guildId).length;
  const channel = buildChannel(ctx, guildId, input, position);
  ctx.state.putChannel(channel);
  dispatchChannel(ctx, 'CHANNEL_CREATE', channel);
  return channel;
}

/** Updates a channel (CHANNEL_UPDATE). */
export function updateChannel(ctx: EmulatorContext, channelId: string, patch: ChannelPatch): ChannelRecord {
  const channel = requireChannel(ctx, channelId);
  const next: ChannelRecord = { ...channel };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.topic !== undefined) next.topic = patch.topic;
  if (patch.nsfw !== undefined) next.nsfw = patch.nsfw;
  if (patch.position !== undefined) next.position = patch.position;
  if (patch.rateLimitPerUser !== undefined) next.rate_limit_per_user = patch.rateLimitPerUser;
  if (patch.parent !== undefined) {
    next.parent_id = patch.parent === null ? null : resolveChannelRef(ctx, channel.guild_id, patch.parent);
  }
  if (patch.permissionOverwrites !== undefined) {
    next.permission_overwrites = buildOverwrites(ctx, channel.guild_id, patch.permissionOverwrites);
  }
  ctx.state.putChannel(next);
  dispatchChannel(ctx, 'CHANNEL_UPDATE', next);
  return next;
}

/** Deletes a channel and its messages (CHANNEL_DELETE). */
export function deleteChannel(ctx: EmulatorContext, channelId: string): ChannelRecord {
  const channel = requireChannel(ctx, channelId);
  ctx.state.deleteChannel(channelId);
  for (const child of ctx.state.channels(channel.guild_id)) {
    if (child.parent_id === channelId) ctx.state.putChannel({ ...child, parent_id: null });
  }
  const guild = ctx.state.guild(channel.guild_id);
  if (guild?.system_channel_id === channelId) ctx.state.putGuild({ ...guild, system_channel_id: null });
  dispatchChannel(ctx, 'CHANNEL_DELETE', channel);
  return channel;
}
