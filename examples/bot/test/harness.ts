import { createDatabase, type Database, DEFAULT_DATABASE_TIMEOUTS } from '@wolaro/db';
import type { ApiMessage } from '@wolaro/discord-emulator';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { SyncClient } from '@wolaro/sync';
import * as harness from '@wolaro/test-harness';
import {
  type CaptureLogger,
  captureLogger,
  controlCall,
  createTestSchema,
  deleteKeys,
  httpControl,
  postgresKind,
  type TestSchema,
} from '@wolaro/test-harness';
import { type Bot, type BotConfig, startBot } from '../src/index.js';

export { DEMO };

/** The bot's config for a test: Redis at `redisUrl` under `keyPrefix`, the database injected. */
export function testConfig(redisUrl: string, keyPrefix: string, extra: Partial<BotConfig> = {}): BotConfig {
  return {
    discordToken: undefined,
    discordApiUrl: undefined,
    databaseUrl: undefined,
    dataDir: '.wolaro/pgdata',
    redisUrl,
    redisKeyPrefix: keyPrefix,
    // NOTIFY does not cross connections of the PGlite fallback.
    pgNotify: postgresKind() === 'server',
    logLevel: 'info',
    shardId: undefined,
    shardCount: undefined,
    redisHealthCheckMs: 10_000,
    redisConnectTimeoutMs: 10_000,
    nodeEnv: 'test',
    syncSigningKey: undefined,
    pgTimeouts: { ...DEFAULT_DATABASE_TIMEOUTS },
    ...extra,
  };
}

/** An emulator, a migrated schema, the bot logged in to the emulator, and a second bus client for the test. */
export interface Harness {
  emulator: DiscordEmulator;
  schema: TestSchema;
  db: Database;
  bot: Bot;
  logger: CaptureLogger;
  /** The test's own client on the bot's Redis and prefix (publishes as "the API", subscribes to the bot's events). */
  sync: SyncClient;
  close(): Promise<void>;
}

export async function startHarness(label: string, config: BotConfig): Promise<Harness> {
  const emulator = await startEmulator({ port: 0, seed: 'demo' });
  const schema = await createTestSchema(label);
  const db = await createDatabase({ databaseUrl: schema.connectionString, max: 5 });
  const logger = captureLogger();
  const sync = new SyncClient({ redis: config.redisUrl!, keyPrefix: config.redisKeyPrefix });
  let bot: Bot | undefined;
  const close = async () => {
    await bot?.close();
    await sync.close();
    await db.close();
    await schema.drop();
    await emulator.stop();
  };
  try {
    await sync.connect();
    bot = await startBot(config, { emulator, db, logger, readyTimeoutMs: 20_000 });
    return { emulator, schema, db, bot, logger, sync, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Deletes every key under `prefix` (the bot's L2 entries) from a shared Redis. */
export { deleteKeys };

/** The emulator's control API, over HTTP as a separate process would use it. */
const control = (emulator: DiscordEmulator) => httpControl(emulator.url);

/** Any `/_emulator` control route. */
export function controlRequest<T = unknown>(
  h: { emulator: DiscordEmulator },
  method: string,
  path: string,
  body?: unknown,
) {
  return controlCall<T>(h.emulator.url, method, path, body);
}

/** Posts a message as a user through `POST /_emulator/channels/:id/messages` (→ MESSAGE_CREATE). */
export function postMessage(
  emulator: DiscordEmulator,
  content: string,
  authorId?: string,
  channelId?: string,
) {
  return harness.postMessage(control(emulator), content, authorId, channelId);
}

/** `GET /_emulator/channels/:id/messages`. */
export function channelMessages(emulator: DiscordEmulator, channelId: string = DEMO.channels.general) {
  return control(emulator).messages(channelId);
}

/** The bot's reply to a message (`message_reference`), once it is there. */
export function replyTo(emulator: DiscordEmulator, message: ApiMessage, timeoutMs = 5000) {
  return harness.replyTo(control(emulator), message, timeoutMs);
}

/** Whether the bot replied to a message (now). */
export async function hasReply(emulator: DiscordEmulator, message: ApiMessage): Promise<boolean> {
  return (await harness.findReply(control(emulator), [message])) !== undefined;
}

/** `POST /_emulator/interactions` (→ INTERACTION_CREATE), then the bot's response once recorded. */
export function slash(
  emulator: DiscordEmulator,
  command: string,
  userId: string,
  options: Record<string, string> = {},
) {
  return harness.slash(control(emulator), command, userId, options);
}

/** `PATCH /_emulator/guilds/:id/members/:user` (→ GUILD_MEMBER_UPDATE). */
export function setMemberRoles(emulator: DiscordEmulator, userId: string, roles: string[]) {
  return control(emulator).updateMember(DEMO.guildId, userId, { roles });
}

/** `POST /_emulator/guilds/:id/members` (→ GUILD_MEMBER_ADD). */
export function addMember(emulator: DiscordEmulator, userId: string, username: string) {
  return control(emulator).addMember(DEMO.guildId, { userId, user: { username } });
}

/**
 * The environment of a bot process (`src/main.ts` or the sharded launcher) on `emulator`, `schema`
 * and the suite's Redis under `keyPrefix`, logging at info.
 */
export function botProcessEnv(emulator: DiscordEmulator, schema: TestSchema, keyPrefix: string) {
  return {
    DISCORD_TOKEN: emulator.botToken,
    DISCORD_API_URL: emulator.apiUrl,
    DATABASE_URL: schema.connectionString,
    REDIS_URL: harness.redisUrl(),
    REDIS_KEY_PREFIX: keyPrefix,
    PG_NOTIFY: String(postgresKind() === 'server'),
    LOG_LEVEL: 'info',
  };
}
