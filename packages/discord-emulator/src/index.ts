/**
 * `@wolaro/discord-emulator`: a local Discord (REST v10, Gateway v10, OAuth2) that an unmodified discord.js v14
 * client logs into, for offline development and tests.
 *
 * @packageDocumentation
 * @module @wolaro/discord-emulator
 */

export {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEMO,
  DISCORD_EPOCH,
} from './constants.js';
export type { ControlState, GuildView } from './control/api.js';
export { EmulatorControl } from './control/api.js';
export type { CommandData } from './domain/commands.js';
export type {
  ChannelInput,
  ChannelPatch,
  ChannelTypeInput,
  GuildInput,
  InteractionInput,
  InteractionOptionInput,
  MemberInput,
  MemberPatch,
  MessageInput,
  OverwriteInput,
  PermissionValue,
  RoleInput,
  RolePatch,
  UserInput,
} from './domain/inputs.js';
export type { InteractionView } from './domain/interactions.js';
export type { DiscordEmulator, EmulatorOptions } from './emulator.js';
export { startEmulator } from './emulator.js';
export { EmulatorError } from './errors.js';
export { GatewayCloseCodes, GatewayOpcodes } from './gateway/codes.js';
export type { DisconnectOptions } from './gateway/hub.js';
export { ALL_INTENTS, GatewayIntents, PRIVILEGED_INTENTS } from './gateway/intents.js';
export type { SessionInfo } from './gateway/session.js';
export type { JsonObject, JsonValue } from './json.js';
export type { EmulatorLogger } from './logger.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { PermissionOverwrite, PermissionSubject } from './permissions.js';
export {
  ALL_PERMISSIONS,
  computeChannelPermissions,
  computeGuildPermissions,
  DEFAULT_EVERYONE_PERMISSIONS,
  PermissionFlags,
  parsePermissions,
} from './permissions.js';
export type { RateLimitOptions } from './rest/rate-limit.js';
export type {
  ApiChannel,
  ApiCommand,
  ApiGuild,
  ApiMember,
  ApiMessage,
  ApiPartialGuild,
  ApiRole,
  ApiUser,
} from './shapes/types.js';
export type { SnowflakeGeneratorOptions } from './snowflake.js';
export { compareSnowflakes, isSnowflake, SnowflakeGenerator, snowflakeTimestamp } from './snowflake.js';
export type { SeedApplication, SeedData } from './state/seed.js';
export { defaultBotToken, demoSeed } from './state/seed.js';
export type { EmulatorSnapshot } from './state/store.js';
export { EmulatorState } from './state/store.js';
export type {
  ApplicationRecord,
  AttachmentRecord,
  ChannelRecord,
  CommandRecord,
  GuildRecord,
  InteractionRecord,
  InteractionResponseRecord,
  MemberRecord,
  MessageRecord,
  OAuthCodeRecord,
  OAuthTokenRecord,
  RoleRecord,
  StoredFile,
  UserRecord,
} from './state/types.js';
