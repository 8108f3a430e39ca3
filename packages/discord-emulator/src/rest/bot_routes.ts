import type { EmulatorContext } from '../domain/context.js';
import type { HttpResult } from '../http/http_result.js';
import type { ChannelRecord, GuildRecord } from '../state/records.js';
import { botChannel, botGuild, requireChannelPermission, requireGuildPermission } from './guard.js';
import type { RestHandler, RestRequest, RestRoute } from './rest_types.js';

type Handler<T> = (ctx: EmulatorContext, req: RestRequest, target: T) => HttpResult | Promise<HttpResult>;

/**
 * A bot-token route on `/guilds/:guildId/…` (rate-limited per guild).
 *
 * @example
 * ```ts
 * export const listRoles = guildRoute((ctx, req) => json(200, ctx.state.roles(req.params['guildId'] ?? '')));
 * ```
 */
export function guildRoute(handler: RestHandler): RestRoute {
  return { auth: 'bot', major: 'guildId', handler };
}

/**
 * A bot-token route on `/channels/:channelId/…` (rate-limited per channel).
 *
 * @example
 * ```ts
 * export const getChannel = channelRoute((ctx, req) => json(200, ctx.state.channel(req.params['channelId'] ?? '')));
 * ```
 */
export function channelRoute(handler: RestHandler): RestRoute {
  return { auth: 'bot', major: 'channelId', handler };
}

/**
 * A bot-token route on `/guilds/:guildId/…` that needs `permission` in the guild: the handler gets the guild.
 *
 * @example
 * ```ts
 * export const listBans = guildPermissionRoute(PermissionFlags.BanMembers, (ctx, _req, guild) => json(200, bansOf(guild)));
 * ```
 */
export function guildPermissionRoute(permission: bigint, handler: Handler<GuildRecord>): RestRoute {
  return guildRoute((ctx, req) => {
    const guild = botGuild(ctx, req.params['guildId'] ?? '');
    requireGuildPermission(ctx, guild.id, permission);
    return handler(ctx, req, guild);
  });
}

/**
 * A bot-token route on `/channels/:channelId/…` that needs `permission` in the channel: the handler gets the channel.
 *
 * @example
 * ```ts
 * export const listInvites = channelPermissionRoute(PermissionFlags.ManageChannels, (ctx, _req, channel) => json(200, invitesOf(channel)));
 * ```
 */
export function channelPermissionRoute(permission: bigint, handler: Handler<ChannelRecord>): RestRoute {
  return channelRoute((ctx, req) => {
    const channel = botChannel(ctx, req.params['channelId'] ?? '');
    requireChannelPermission(ctx, channel.id, permission);
    return handler(ctx, req, channel);
  });
}

/**
 * The two routes of a list kept per channel and per guild: `GET /channels/:channelId/…` (needs
 * `channelPermission` there) and `GET /guilds/:guildId/…` (needs `guildPermission`); `list` answers
 * with the records `which` keeps.
 *
 * @example
 * ```ts
 * const lists = channelAndGuildLists(PermissionFlags.ManageWebhooks, PermissionFlags.ManageWebhooks, (ctx, which) =>
 *   json(200, ctx.state.webhooks.where(which)),
 * );
 * ```
 */
export function channelAndGuildLists<R extends { channel_id: string; guild_id: string }>(
  channelPermission: bigint,
  guildPermission: bigint,
  list: (ctx: EmulatorContext, which: (record: R) => boolean) => HttpResult,
): { channel: RestRoute; guild: RestRoute } {
  return {
    channel: channelPermissionRoute(channelPermission, (ctx, _req, channel) =>
      list(ctx, (r) => r.channel_id === channel.id),
    ),
    guild: guildPermissionRoute(guildPermission, (ctx, _req, guild) =>
      list(ctx, (r) => r.guild_id === guild.id),
    ),
  };
}
