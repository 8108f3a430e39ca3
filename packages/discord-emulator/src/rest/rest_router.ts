import { Router } from '../http/path_router.js';
import { authorize, revoke, token } from '../oauth/oauth_routes.js';
import type { RestRoute } from './rest_types.js';
import * as apps from './routes/application_routes.js';
import * as channels from './routes/channel_routes.js';
import { getGateway, getGatewayBot } from './routes/gateway_routes.js';
import * as guilds from './routes/guild_routes.js';
import * as interactions from './routes/interaction_routes.js';
import * as users from './routes/user_routes.js';

/** Every emulated REST route (paths relative to `/api/v10`). */
export function createRestRouter(): Router<RestRoute> {
  const router = new Router<RestRoute>();
  const cmds = '/applications/:applicationId/commands';
  const guildCmds = '/applications/:applicationId/guilds/:guildId/commands';
  const hook = '/webhooks/:applicationId/:webhookToken';
  return router
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
    .add('GET', cmds, apps.listCommands)
    .add('PUT', cmds, apps.overwriteCommandsRoute)
    .add('POST', cmds, apps.createCommandRoute)
    .add('GET', `${cmds}/:commandId`, apps.getCommand)
    .add('PATCH', `${cmds}/:commandId`, apps.editCommandRoute)
    .add('DELETE', `${cmds}/:commandId`, apps.deleteCommandRoute)
    .add('GET', guildCmds, apps.listCommands)
    .add('PUT', guildCmds, apps.overwriteCommandsRoute)
    .add('POST', guildCmds, apps.createCommandRoute)
    .add('GET', `${guildCmds}/:commandId`, apps.getCommand)
    .add('PATCH', `${guildCmds}/:commandId`, apps.editCommandRoute)
    .add('DELETE', `${guildCmds}/:commandId`, apps.deleteCommandRoute)
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
    .add('POST', hook, interactions.executeWebhook)
    .add('GET', `${hook}/messages/:messageId`, interactions.getWebhookMessage)
    .add('PATCH', `${hook}/messages/:messageId`, interactions.editWebhookMessage)
    .add('DELETE', `${hook}/messages/:messageId`, interactions.deleteWebhookMessage);
}
