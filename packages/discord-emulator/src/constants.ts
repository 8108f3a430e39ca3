/**
 * The Discord epoch (2015-01-01T00:00:00.000Z) in milliseconds, used by snowflakes.
 *
 * @example
 * ```ts
 * import { DISCORD_EPOCH } from '@wolaro/discord-emulator';
 * const createdAt = new Date(Number(BigInt(id) >> 22n) + DISCORD_EPOCH);
 * ```
 */
export const DISCORD_EPOCH = 1_420_070_400_000;

/**
 * Default gateway heartbeat interval sent in HELLO, in milliseconds (the value Discord uses).
 *
 * @example
 * ```ts
 * import { DEFAULT_HEARTBEAT_INTERVAL, startEmulator } from '@wolaro/discord-emulator';
 * const emulator = await startEmulator({ heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL });
 * ```
 */
export const DEFAULT_HEARTBEAT_INTERVAL = 41_250;

/**
 * The fixed development bot token of the `demo` seed. It has Discord's three-part shape (the first part is the
 * base64 bot user id) but deliberately does not match secret-scanner patterns. It is not a secret.
 *
 * @example
 * ```ts
 * import { DEFAULT_BOT_TOKEN } from '@wolaro/discord-emulator';
 * await client.login(DEFAULT_BOT_TOKEN);
 * ```
 */
export const DEFAULT_BOT_TOKEN = 'MjAwMDAwMDAwMDAwMDAwMDAx.RU1VTEFUT1I.d29sYXJvLWRldi1ib3QtdG9rZW4';

/**
 * The default OAuth2 client secret of the emulated application.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLIENT_SECRET, DEMO } from '@wolaro/discord-emulator';
 * const body = new URLSearchParams({ client_id: DEMO.applicationId, client_secret: DEFAULT_CLIENT_SECRET });
 * ```
 */
export const DEFAULT_CLIENT_SECRET = 'emulator-secret';

/**
 * Ids of everything in the `demo` seed, so apps and tests never hard-code snowflakes.
 *
 * @example
 * ```ts
 * import { DEMO } from '@wolaro/discord-emulator';
 * await emulator.control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.member, content: 'hi' });
 * ```
 */
export const DEMO = {
  /** The "Wolaro Demo" guild. */
  guildId: '123456789012345678',
  /** Application id; equal to the bot user id, as on Discord. */
  applicationId: '200000000000000001',
  /** Bot token accepted by REST and the gateway. */
  botToken: DEFAULT_BOT_TOKEN,
  /** OAuth2 client secret. */
  clientSecret: DEFAULT_CLIENT_SECRET,
  channels: {
    /** Category holding the text channels. */
    category: '300000000000000001',
    general: '300000000000000002',
    logs: '300000000000000003',
    welcome: '300000000000000004',
  },
  roles: {
    /** @everyone: same id as the guild. */
    everyone: '123456789012345678',
    /** ADMINISTRATOR (0x8). */
    admin: '400000000000000001',
    /** KICK_MEMBERS, BAN_MEMBERS, MANAGE_MESSAGES. */
    moderator: '400000000000000002',
    /** The bot's managed integration role. */
    bot: '400000000000000003',
  },
  users: {
    /** Guild owner, `theo7791l`. */
    owner: '100000000000000001',
    /** Has the Admin role. */
    admin: '100000000000000002',
    /** Second administrator (also Admin). */
    admin2: '100000000000000005',
    /** Has the Moderator role. */
    moderator: '100000000000000003',
    /** Plain member, no roles. */
    member: '100000000000000004',
    /** The bot user `Wolaro`. */
    bot: '200000000000000001',
  },
} as const;
