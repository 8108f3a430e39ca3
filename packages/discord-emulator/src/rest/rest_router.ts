import { Router } from '../http/path_router.js';
import { authorize, revoke, token } from '../oauth/oauth_routes.js';
import type { RestRoute } from './rest_types.js';
import * as apps from './routes/application_routes.js';
import * as admin from './routes/channel_admin_routes.js';
import * as channels from './routes/channel_routes.js';
import * as perms from './routes/command_permission_routes.js';
import * as emojis from './routes/emoji_routes.js';
import { getGateway, getGatewayBot } from './routes/gateway_routes.js';
import * as guilds from './routes/guild_routes.js';
import * as interactions from './routes/interaction_routes.js';
import * as invites from './routes/invite_routes.js';
import * as extra from './routes/message_extra_routes.js';
import * as moderation from './routes/moderation_routes.js';
import * as roles from './routes/role_routes.js';
import * as threads from './routes/thread_routes.js';
import * as users from './routes/user_routes.js';
import * as webhooks from './routes/webhook_routes.js';

/** Every emulated REST route (paths relative to `/api/v10`). */
export function createRestRouter(): Router<RestRoute> {
  const router = new Router<RestRoute>();
  // Global and guild commands share their handlers (the scope comes from the path).
  for (const cmds of [
    '/applications/:applicationId/commands',
    '/applications/:applicationId/guilds/:guildId/commands',
  ]) {
    router
      .add('GET', cmds, apps.listCommands)
      .add('PUT', cmds, apps.overwriteCommandsRoute)
      .add('POST', cmds, apps.createCommandRoute)
      .add('GET', `${cmds}/:commandId`, apps.getCommand)
      .add('PATCH', `${cmds}/:commandId`, apps.editCommandRoute)
      .add('DELETE', `${cmds}/:commandId`, apps.deleteCommandRoute);
  }
  const hook = '/webhooks/:applicationId/:webhookToken';
  router
    .add('GET', '/gateway', getGateway)
    .add('GET', '/gateway/bot', getGatewayBot)
    .add('GET', '/users/@me', users.getCurrentUser)
    .add('GET', '/users/@me/guilds', users.getCurrentUserGuilds)
    .add('GET', '/users/@me/guilds/:guildId/member', users.getCurrentUserGuildMember)
    .add('DELETE', '/users/@me/guilds/:guildId', users.leaveGuild)
    .add('GET', '/users/:userId', users.getUser)
    .add('GET', '/applications/@me', apps.getCurrentApplication)
    .add('GET', '/oauth2/applications/@me', apps.getCurrentApplication)
    .add('GET', '/oauth2/@me', apps.getCurrentAuthorization)
    .add('GET', '/oauth2/authorize', authorize)
    .add('POST', '/oauth2/token', token)
    .add('POST', '/oauth2/token/revoke', revoke)
    .add('GET', '/guilds/:guildId', guilds.getGuild)
    .add('GET', '/guilds/:guildId/channels', guilds.getGuildChannels)
    .add('GET', '/guilds/:guildId/roles', guilds.getGuildRoles)
    .add('GET', '/guilds/:guildId/roles/:roleId', guilds.getGuildRole)
    .add('GET', '/guilds/:guildId/members', guilds.listGuildMembers)
    .add('GET', '/guilds/:guildId/members/search', guilds.searchGuildMembers)
    .add('GET', '/guilds/:guildId/members/:userId', guilds.getGuildMember)
    .add('PATCH', '/guilds/:guildId/members/:userId', guilds.modifyGuildMember)
    .add('DELETE', '/guilds/:guildId/members/:userId', guilds.kickGuildMember)
    .add('PUT', '/guilds/:guildId/members/:userId/roles/:roleId', guilds.addGuildMemberRole)
    .add('DELETE', '/guilds/:guildId/members/:userId/roles/:roleId', guilds.removeGuildMemberRole)
    .add('GET', '/channels/:channelId', channels.getChannel)
    .add('GET', '/channels/:channelId/messages', channels.getChannelMessages)
    .add('POST', '/channels/:channelId/messages', channels.createChannelMessage)
    .add('GET', '/channels/:channelId/messages/:messageId', channels.getChannelMessage)
    .add('PATCH', '/channels/:channelId/messages/:messageId', channels.editChannelMessage)
    .add('DELETE', '/channels/:channelId/messages/:messageId', channels.deleteChannelMessage)
    .add('POST', '/channels/:channelId/typing', channels.triggerTyping)
    .add('POST', '/interactions/:interactionId/:interactionToken/callback', interactions.interactionCallback)
    .add('POST', hook, webhooks.executeWebhook)
    .add('GET', `${hook}/messages/:messageId`, webhooks.getWebhookMessage)
    .add('PATCH', `${hook}/messages/:messageId`, webhooks.editWebhookMessage)
    .add('DELETE', `${hook}/messages/:messageId`, webhooks.deleteWebhookMessage);
  addChannelRoutes(router);
  addGuildRoutes(router);
  addOtherRoutes(router);
  return router;
}

function addChannelRoutes(router: Router<RestRoute>): void {
  const ch = '/channels/:channelId';
  const msg = `${ch}/messages/:messageId`;
  router
    .add('PATCH', ch, admin.editChannel)
    .add('DELETE', ch, admin.removeChannel)
    .add('PUT', `${ch}/permissions/:overwriteId`, admin.putOverwrite)
    .add('DELETE', `${ch}/permissions/:overwriteId`, admin.deleteOverwrite)
    .add('GET', `${ch}/invites`, invites.listChannelInvites)
    .add('POST', `${ch}/invites`, invites.createChannelInvite)
    .add('POST', `${ch}/messages/bulk-delete`, extra.bulkDelete)
    .add('GET', `${ch}/messages/pins`, extra.listPins)
    .add('PUT', `${ch}/messages/pins/:messageId`, extra.addPin)
    .add('DELETE', `${ch}/messages/pins/:messageId`, extra.deletePin)
    .add('GET', `${ch}/pins`, extra.listPinsDeprecated)
    .add('PUT', `${ch}/pins/:messageId`, extra.addPin)
    .add('DELETE', `${ch}/pins/:messageId`, extra.deletePin)
    .add('POST', `${msg}/crosspost`, extra.crosspost)
    .add('DELETE', `${msg}/reactions`, extra.deleteAllReactions)
    .add('GET', `${msg}/reactions/:emoji`, extra.listReactions)
    .add('DELETE', `${msg}/reactions/:emoji`, extra.deleteAllReactions)
    .add('PUT', `${msg}/reactions/:emoji/@me`, extra.addMyReaction)
    .add('DELETE', `${msg}/reactions/:emoji/@me`, extra.deleteMyReaction)
    .add('DELETE', `${msg}/reactions/:emoji/:userId`, extra.deleteUserReaction)
    .add('POST', `${msg}/threads`, threads.threadFromMessage)
    .add('POST', `${ch}/threads`, threads.threadWithoutMessage)
    .add('GET', `${ch}/thread-members`, threads.listThreadMembers)
    .add('PUT', `${ch}/thread-members/@me`, threads.addThreadMember)
    .add('DELETE', `${ch}/thread-members/@me`, threads.removeThreadMember)
    .add('GET', `${ch}/thread-members/:userId`, threads.getThreadMember)
    .add('PUT', `${ch}/thread-members/:userId`, threads.addThreadMember)
    .add('DELETE', `${ch}/thread-members/:userId`, threads.removeThreadMember)
    .add('GET', `${ch}/threads/archived/public`, threads.archivedPublicThreads)
    .add('GET', `${ch}/threads/archived/private`, threads.archivedPrivateThreads)
    .add('GET', `${ch}/users/@me/threads/archived/private`, threads.joinedArchivedPrivateThreads)
    .add('GET', `${ch}/webhooks`, webhooks.listChannelWebhooks)
    .add('POST', `${ch}/webhooks`, webhooks.createChannelWebhook);
}

function addGuildRoutes(router: Router<RestRoute>): void {
  const g = '/guilds/:guildId';
  router
    .add('PATCH', g, moderation.editGuild)
    .add('GET', `${g}/audit-logs`, moderation.listAuditLog)
    .add('GET', `${g}/bans`, moderation.listBans)
    .add('GET', `${g}/bans/:userId`, moderation.getBan)
    .add('PUT', `${g}/bans/:userId`, moderation.createBan)
    .add('DELETE', `${g}/bans/:userId`, moderation.removeBan)
    .add('POST', `${g}/bulk-ban`, moderation.bulkBan)
    .add('POST', `${g}/channels`, admin.createGuildChannel)
    .add('PATCH', `${g}/channels`, admin.moveGuildChannels)
    .add('GET', `${g}/invites`, invites.listGuildInvites)
    .add('POST', `${g}/roles`, roles.createGuildRole)
    .add('PATCH', `${g}/roles`, roles.moveGuildRoles)
    .add('GET', `${g}/roles/member-counts`, roles.roleMemberCounts)
    .add('PATCH', `${g}/roles/:roleId`, roles.editGuildRole)
    .add('DELETE', `${g}/roles/:roleId`, roles.deleteGuildRole)
    .add('GET', `${g}/emojis`, emojis.listEmojis)
    .add('POST', `${g}/emojis`, emojis.createGuildEmoji)
    .add('GET', `${g}/emojis/:emojiId`, emojis.getEmoji)
    .add('PATCH', `${g}/emojis/:emojiId`, emojis.editGuildEmoji)
    .add('DELETE', `${g}/emojis/:emojiId`, emojis.deleteGuildEmoji)
    .add('GET', `${g}/threads/active`, threads.activeGuildThreads)
    .add('GET', `${g}/webhooks`, webhooks.listGuildWebhooks);
}

function addOtherRoutes(router: Router<RestRoute>): void {
  const perm = '/applications/:applicationId/guilds/:guildId/commands';
  router
    .add('POST', '/users/@me/channels', users.createDm)
    .add('GET', '/invites/:code', invites.getInvite)
    .add('DELETE', '/invites/:code', invites.revokeInvite)
    .add('GET', '/voice/regions', emojis.listVoiceRegions)
    .add('GET', `${perm}/permissions`, perms.listCommandPermissions)
    .add('GET', `${perm}/:commandId/permissions`, perms.getCommandPermissions)
    .add('PUT', `${perm}/:commandId/permissions`, perms.setCommandPermissions)
    .add('GET', '/webhooks/:webhookId', webhooks.getWebhookRoute('bot'))
    .add('PATCH', '/webhooks/:webhookId', webhooks.editWebhookRoute('bot'))
    .add('DELETE', '/webhooks/:webhookId', webhooks.deleteWebhookRoute('bot'))
    .add('GET', '/webhooks/:webhookId/:webhookToken', webhooks.getWebhookRoute('none'))
    .add('PATCH', '/webhooks/:webhookId/:webhookToken', webhooks.editWebhookRoute('none'))
    .add('DELETE', '/webhooks/:webhookId/:webhookToken', webhooks.deleteWebhookRoute('none'));
}
