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
export type { ControlState, GuildView } from './control/control_api.js';
export { EmulatorControl } from './control/control_api.js';
export type { BanInput, GuildUpdateInput, ReactionInput, ThreadInput } from './control/control_inputs.js';
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
export type { PermissionOverwrite, PermissionSubject } from './permission_flags.js';
export {
  ALL_PERMISSIONS,
  computeChannelPermissions,
  computeGuildPermissions,
  DEFAULT_EVERYONE_PERMISSIONS,
  PermissionFlags,
  parsePermissions,
} from './permission_flags.js';
export type { RateLimitOptions } from './rest/rate_limit.js';
export type {
  ApiChannel,
  ApiCommand,
  ApiGuild,
  ApiMember,
  ApiMessage,
  ApiPartialGuild,
  ApiRole,
  ApiUser,
} from './shapes/api_types.js';
export type { SnowflakeGeneratorOptions } from './snowflake.js';
export { compareSnowflakes, isSnowflake, SnowflakeGenerator, snowflakeTimestamp } from './snowflake.js';
export { RecordTable } from './state/record_table.js';
export type * from './state/records.js';
export type { SeedApplication, SeedData } from './state/seed_data.js';
export { defaultBotToken, demoSeed } from './state/seed_data.js';
export type { EmulatorSnapshot } from './state/state_store.js';
export { EmulatorState } from './state/state_store.js';
