/**
 * Gateway intent bits the emulator knows (Discord's values).
 *
 * @example
 * ```ts
 * import { GatewayIntents } from '@wolaro/discord-emulator';
 * ws.send(JSON.stringify({ op: 2, d: { token, intents: GatewayIntents.Guilds | GatewayIntents.GuildMessages, properties } }));
 * ```
 */
export const GatewayIntents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildModeration: 1 << 2,
  GuildExpressions: 1 << 3,
  GuildIntegrations: 1 << 4,
  GuildWebhooks: 1 << 5,
  GuildInvites: 1 << 6,
  GuildVoiceStates: 1 << 7,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  DirectMessageTyping: 1 << 14,
  MessageContent: 1 << 15,
  GuildScheduledEvents: 1 << 16,
  AutoModerationConfiguration: 1 << 20,
  AutoModerationExecution: 1 << 21,
  GuildMessagePolls: 1 << 24,
  DirectMessagePolls: 1 << 25,
} as const;

/**
 * Every valid intent bit; IDENTIFY with any other bit set is closed with 4013.
 *
 * @example
 * ```ts
 * import { ALL_INTENTS } from '@wolaro/discord-emulator';
 * (intents & ~ALL_INTENTS) === 0; // valid
 * ```
 */
export const ALL_INTENTS: number = Object.values(GatewayIntents).reduce((all, bit) => all | bit, 0);

/**
 * The privileged intents: GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT. Refused with 4014 when the emulator
 * runs with `privilegedIntents: false`.
 *
 * @example
 * ```ts
 * import { PRIVILEGED_INTENTS } from '@wolaro/discord-emulator';
 * const usesPrivileged = (intents & PRIVILEGED_INTENTS) !== 0;
 * ```
 */
export const PRIVILEGED_INTENTS: number =
  GatewayIntents.GuildMembers | GatewayIntents.GuildPresences | GatewayIntents.MessageContent;
