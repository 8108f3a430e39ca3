import {
  CleanupStack,
  createBus,
  createSharedCache,
  openDatabase,
  redisStartupError,
  StartupError,
} from '@wolaro/app-runtime';
import { type Database, guildConfigLoaders, removeMember, upsertMembers } from '@wolaro/db';
import { GuildConfigCache, type MemoryBus, type RedisFallbackManager, type SyncClient } from '@wolaro/sync';
import { type Revocation, watchPermissionRevocations } from '@wolaro/sync/discord';
import { Client, type ClientOptions, GatewayIntentBits, Partials } from 'discord.js';
import { createDispatcher } from './commands/dispatch.js';
import { type BotConfig, ConfigError } from './config.js';
import { type BotContext, TaskTracker } from './context.js';
import { EVENTS } from './events/registry.js';
import type { AnyBotEvent } from './events/types.js';
import { memberRecord } from './guild_sync.js';
import { type BotLogger, createLogger } from './logger.js';
import { SYNC_HANDLERS } from './realtime/registry.js';
import type { AnySyncHandler } from './realtime/types.js';

/**
 * Parts `startBot` can be given instead of creating them: what the one-process launcher shares
 * between the bot and the API, and what tests inject. Injected parts are never closed by the bot.
 */
export interface BotDeps {
  /** An existing bus client (connected or not). Without it the bot builds one from the config. */
  sync?: SyncClient;
  /** The in-process bus to join when there is neither `sync` nor `REDIS_URL`. */
  bus?: MemoryBus;
  /** The L2 cache under the guild config cache. Without it: Redis (`REDIS_URL`) or none. */
  cache?: RedisFallbackManager;
  /** An open, migrated database (`createDatabase` of `@wolaro/db`). */
  db?: Database;
  /** A pino-compatible logger. */
  logger?: BotLogger;
  /** A Discord emulator: its `apiUrl` and `botToken` are used when `DISCORD_API_URL` / `DISCORD_TOKEN` are unset. */
  emulator?: { apiUrl: string; botToken: string };
  /** Extra discord.js client options (merged last). */
  clientOptions?: Partial<ClientOptions>;
  /**
   * How long to wait for READY and the first database sync of every guild.
   * @defaultValue 60000
   */
  readyTimeoutMs?: number;
}

/** A running bot. */
export interface Bot {
  readonly client: Client<true>;
  readonly sync: SyncClient;
  readonly configs: GuildConfigCache;
  readonly db: Database;
  /** Disconnects from Discord, waits for in-flight work, then closes what the bot created. Idempotent. */
  close(): Promise<void>;
}

const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

function clientOptions(
  config: BotConfig,
  apiUrl: string | undefined,
  extra: Partial<ClientOptions>,
): ClientOptions {
  const sharding =
    config.shardId !== undefined && config.shardCount !== undefined
      ? { shards: config.shardId, shardCount: config.shardCount }
      : {};
  return {
    intents: INTENTS,
    partials: [Partials.GuildMember],
    ...sharding,
    ...extra,
    rest: { ...(apiUrl === undefined ? {} : { api: apiUrl }), ...extra.rest },
  };
}

/** Subscribes one of the bot's sync handlers (the channel union is checked by `defineSyncHandler`). */
function subscribeHandler(ctx: BotContext, handler: AnySyncHandler): () => void {
  const handle = handler.handle as (ctx: BotContext, event: never) => void;
  return ctx.sync.subscribe(handler.channel, (event) => handle(ctx, event as never));
}

/** Registers one event handler; its work is tracked for shutdown and its errors are logged. */
function listen(ctx: BotContext, client: Client, tasks: TaskTracker, event: AnyBotEvent): void {
  const execute = event.execute as (ctx: BotContext, ...args: unknown[]) => Promise<void> | void;
  const listener = (...args: unknown[]): void => {
    tasks
      .track(Promise.resolve().then(() => execute(ctx, ...args)))
      .catch((err: unknown) =>
        ctx.logger.error({ err, event: event.name }, `Handler of ${event.name} failed`),
      );
  };
  if (event.once) client.once(event.name, listener);
  else client.on(event.name, listener);
}

/** The bus and the guild config cache over it (subscribed, not yet connected). */
async function openConfigs(
  config: BotConfig,
  db: Database,
  deps: BotDeps,
  stack: CleanupStack,
  logger: BotLogger,
): Promise<{ sync: SyncClient; configs: GuildConfigCache }> {
  const sync =
    deps.sync ??
    stack.use(createBus(config, db, logger.child({ component: 'sync' }), deps.bus).sync, (s) => s.close());
  const cache = deps.cache ?? createSharedCache(config, logger.child({ component: 'cache' }));
  if (!deps.cache && cache) stack.defer(() => cache.close());
  const configs = new GuildConfigCache({
    sync,
    ...(cache ? { cache } : {}),
    ...guildConfigLoaders(db.pool),
    logger: logger.child({ component: 'configs' }),
  });
  configs.on('updated', (guildId, cfg) =>
    logger.debug(
      { guildId, version: cfg.version },
      `Config of guild ${guildId} reloaded (version ${cfg.version})`,
    ),
  );
  // The cache subscribes before the bus connects, so no event is missed.
  await configs.start();
  stack.defer(() => configs.stop());
  return { sync, configs };
}

/** Subscribes the bot's sync handlers, then connects the bus. */
async function connectSync(ctx: BotContext, config: BotConfig, stack: CleanupStack): Promise<void> {
  const offs = SYNC_HANDLERS.map((handler) => subscribeHandler(ctx, handler));
  stack.defer(() => {
    for (const off of offs) off();
  });
  try {
    await ctx.sync.connect();
  } catch (err) {
    throw config.redisUrl === undefined ? err : redisStartupError(err, config.redisUrl);
  }
}

/** Registers the Discord event handlers and the permission revocation watch. */
function attachDiscord(ctx: BotContext, tasks: TaskTracker, stack: CleanupStack): void {
  const { client, db } = ctx;
  for (const event of EVENTS) listen(ctx, client, tasks, event);
  const unwatch = watchPermissionRevocations(client, ctx.sync, {
    // Runs before `permission:revoked` is published: the API's next check already refuses.
    onRevoked: (revocation: Revocation) =>
      tasks.track(
        revocation.member
          ? upsertMembers(db.pool, revocation.guildId, [memberRecord(revocation.member)]).then(() => {})
          : removeMember(db.pool, revocation.guildId, revocation.userId).then(() => {}),
      ),
    logger: ctx.logger,
  });
  stack.defer(async () => {
    unwatch();
    await client.destroy();
    await tasks.drain(5000);
  });
}

/** Why the login failed, as one line naming the variable to fix. */
function discordStartupError(err: unknown, apiUrl: string | undefined): unknown {
  const code = (err as { code?: unknown }).code;
  const at = apiUrl ?? 'https://discord.com/api';
  if (code === 'TokenInvalid' || (err as { status?: unknown }).status === 401) {
    return new StartupError(
      `Discord at ${at} refused the bot token (DISCORD_TOKEN)`,
      'check DISCORD_TOKEN',
      err,
    );
  }
  if (typeof code === 'string' && /^E(CONNREFUSED|NOTFOUND|TIMEDOUT|HOSTUNREACH|CONNRESET)$/.test(code)) {
    return new StartupError(
      `cannot reach Discord at ${at} (DISCORD_API_URL): ${code}`,
      'check DISCORD_API_URL',
      err,
    );
  }
  return err;
}

/** Logs in and waits for READY and the first database sync of every guild. */
async function loginAndSync(client: Client, token: string, synced: Promise<void>, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Discord READY not received within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.login(token).then(() => synced), timeout]);
  } catch (err) {
    throw discordStartupError(err, client.options.rest?.api);
  } finally {
    clearTimeout(timer);
  }
  if (!client.isReady()) throw new Error('discord.js client is not ready after READY');
  return client;
}

/**
 * Starts the bot: database, bus, guild config cache, discord.js client, event handlers,
 * permission revocation watch. Resolves once READY arrived and every guild and its members are in
 * the database, after logging `Bot ready`. A failing step closes what was started and rejects
 * with one line saying what failed and what to do (`StartupError`).
 *
 * @example
 * ```ts
 * const bot = await startBot(loadConfig(process.env, { standalone: true }));
 * process.once('SIGTERM', () => void bot.close());
 * ```
 */
export async function startBot(config: BotConfig, deps: BotDeps = {}): Promise<Bot> {
  const token = config.discordToken ?? deps.emulator?.botToken;
  if (token === undefined) throw new ConfigError(['DISCORD_TOKEN: required (the bot token)'], 'bot');
  const apiUrl = config.discordApiUrl ?? deps.emulator?.apiUrl;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const stack = new CleanupStack(logger);
  return stack.build(async () => {
    const db = deps.db ?? (await openDatabase(config, stack, logger));
    const { sync, configs } = await openConfigs(config, db, deps, stack, logger);
    let markSynced: (error?: Error) => void = () => {};
    const synced = new Promise<void>((resolve, reject) => {
      markSynced = (error) => (error ? reject(error) : resolve());
    });
    const tasks = new TaskTracker();
    const client = new Client(clientOptions(config, apiUrl, deps.clientOptions ?? {}));
    const ctx: BotContext = {
      client,
      sync,
      configs,
      db,
      logger,
      track: (work) => tasks.track(work),
      dispatch: (command, source) => dispatch(command, source),
      markSynced: (error) => markSynced(error),
    };
    const dispatch = createDispatcher(ctx);
    await connectSync(ctx, config, stack);
    attachDiscord(ctx, tasks, stack);
    const ready = await loginAndSync(client, token, synced, deps.readyTimeoutMs ?? 60_000);
    logger.info(
      { user: ready.user.tag, guilds: ready.guilds.cache.size, shards: ready.ws.shards.map((s) => s.id) },
      'Bot ready',
    );
    return { client: ready, sync, configs, db, close: () => stack.close() };
  });
}
