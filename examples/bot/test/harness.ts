import type { ApiMessage, InteractionView } from '@wolaro/discord-emulator';
import { DEMO, type DiscordEmulator, startEmulator } from '@wolaro/discord-emulator';
import { createDatabase, type Database } from '@wolaro/panel-api/db';
import { SyncClient } from '@wolaro/sync';
import {
  type CaptureLogger,
  captureLogger,
  createTestSchema,
  postgresKind,
  type TestSchema,
  waitFor,
} from '@wolaro/test-harness';
import { Redis } from 'ioredis';
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
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

/** Any `/_emulator` control route. */
export function controlRequest<T = unknown>(
  h: { emulator: DiscordEmulator },
  method: string,
  path: string,
  body?: unknown,
) {
  return control<T>(h.emulator, method, path, body);
}

async function control<T>(
  emulator: DiscordEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${emulator.url}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_emulator${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Posts a message as a user through `POST /_emulator/channels/:id/messages` (→ MESSAGE_CREATE). */
export function postMessage(
  emulator: DiscordEmulator,
  content: string,
  authorId: string = DEMO.users.member,
  channelId: string = DEMO.channels.general,
): Promise<ApiMessage> {
  return control<ApiMessage>(emulator, 'POST', `/channels/${channelId}/messages`, { authorId, content });
}

/** `GET /_emulator/channels/:id/messages`. */
export function channelMessages(emulator: DiscordEmulator, channelId: string = DEMO.channels.general) {
  return control<ApiMessage[]>(emulator, 'GET', `/channels/${channelId}/messages`);
}

/** The bot's reply to a message (`message_reference`), once it is there. */
export async function replyTo(
  emulator: DiscordEmulator,
  message: ApiMessage,
  timeoutMs = 5000,
): Promise<ApiMessage> {
  return waitFor(
    async () =>
      (await channelMessages(emulator, message.channel_id)).find(
        (m) => m.message_reference?.message_id === message.id,
      ),
    { timeoutMs, intervalMs: 5, message: `a reply to "${message.content}"` },
  );
}

/** Whether the bot replied to a message (now). */
export async function hasReply(emulator: DiscordEmulator, message: ApiMessage): Promise<boolean> {
  return (await channelMessages(emulator, message.channel_id)).some(
    (m) => m.message_reference?.message_id === message.id,
  );
}

/** `POST /_emulator/interactions` (→ INTERACTION_CREATE), then the bot's response once recorded. */
export async function slash(
  emulator: DiscordEmulator,
  command: string,
  userId: string,
  options: Record<string, string> = {},
): Promise<InteractionView> {
  const { id } = await control<{ id: string }>(emulator, 'POST', '/interactions', {
    guildId: DEMO.guildId,
    channelId: DEMO.channels.general,
    userId,
    command,
    options,
  });
  return waitFor(
    async () => {
      const view = await control<InteractionView>(emulator, 'GET', `/interactions/${id}`);
      return view.response ? view : undefined;
    },
    { timeoutMs: 5000, intervalMs: 5, message: `the response to /${command}` },
  );
}

/** `PATCH /_emulator/guilds/:id/members/:user` (→ GUILD_MEMBER_UPDATE). */
export function setMemberRoles(emulator: DiscordEmulator, userId: string, roles: string[]) {
  return control<unknown>(emulator, 'PATCH', `/guilds/${DEMO.guildId}/members/${userId}`, { roles });
}

/** `POST /_emulator/guilds/:id/members` (→ GUILD_MEMBER_ADD). */
export function addMember(emulator: DiscordEmulator, userId: string, username: string) {
  return control<unknown>(emulator, 'POST', `/guilds/${DEMO.guildId}/members`, {
    userId,
    user: { username },
  });
}
