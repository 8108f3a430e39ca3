import {
  CleanupStack,
  createBus,
  createSharedCache,
  openDatabase,
  redisSourceOf,
  redisStartupError,
  StartupError,
  startOutboxRelay,
} from '@wolaro/app-runtime';
import { type Database, guildConfigLoaders } from '@wolaro/db';
import { GuildConfigCache, type MemoryBus, type RedisFallbackManager, type SyncClient } from '@wolaro/sync';
import { Client, type ClientOptions, GatewayIntentBits, Partials } from 'discord.js';
import { CommandLog } from './command_log.js';
import { createDispatcher } from './commands/dispatch.js';
import { type BotConfig, ConfigError } from './config.js';
import { type BotContext, TaskTracker } from './context.js';
import { EVENTS } from './events/registry.js';
import type { AnyBotEvent } from './events/types.js';
import { type BotLogger, createLogger } from './logger.js';
import { SYNC_HANDLERS } from './realtime/registry.js';
import type { AnySyncHandler } from './realtime/types.js';
import { eventGuildId, ownGuildEvents, type ShardScope, shardScopeOf } from './shards.js';

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

/**
 * Subscribes one of the bot's sync handlers (the channel union is checked by `defineSyncHandler`).
 * Every process hears every event; one of another shard's guild is dropped.
 */
function subscribeHandler(ctx: BotContext, handler: AnySyncHandler): () => void {
  const handle = handler.handle as (ctx: BotContext, event: never) => void;
  return ctx.sync.subscribe(handler.channel, (event) => {
    if ('guildId' in event && !ctx.shard.owns(event.guildId)) return;
    handle(ctx, event as never);
  });
}

/**
 * Registers one event handler; its work is tracked for shutdown and its errors are logged. An event
 * of a guild another shard serves is dropped before the handler runs (no database work).
 */
function listen(ctx: BotContext, client: Client, tasks: TaskTracker, event: AnyBotEvent): void {
  const execute = event.execute as (ctx: BotContext, ...args: unknown[]) => Promise<void> | void;
  const listener = (...args: unknown[]): void => {
    const guildId = eventGuildId(args);
    if (guildId !== undefined && !ctx.shard.owns(guildId)) return;
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
  shard: ShardScope,
  deps: BotDeps,
  stack: CleanupStack,
  logger: BotLogger,
): Promise<{ sync: SyncClient; configs: GuildConfigCache }> {
  const sync =
    deps.sync ??
    stack.use(createBus(config, db, logger.child({ component: 'sync' }), deps.bus).sync, (s) => s.close());
  const cache = deps.cache ?? createSharedCache(config, logger.child({ component: 'cache' }));
  if (!deps.cache && cache) stack.defer(() => cache.close());
  // Only this process's guilds: another shard holds, invalidates and reloads the others.
  const configs = new GuildConfigCache({
    sync: ownGuildEvents(sync, shard),
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
    const source = redisSourceOf(config);
    throw source === undefined ? err : redisStartupError(err, source);
  }
}

/**
 * The outbox relay (it publishes what a crash or a bus failure left, for the bot's own command
 * events too) and the command log; both stop after the in-flight commands are done.
 */
async function openCommandLog(
  config: BotConfig,
  db: Database,
  sync: SyncClient,
  stack: CleanupStack,
  logger: BotLogger,
): Promise<CommandLog> {
  const relay = await startOutboxRelay(db, sync, stack, logger.child({ component: 'outbox' }));
  const commands = new CommandLog(
    db.pool,
    { sync, relay, logger: logger.child({ component: 'outbox' }) },
    {
      ...(config.commandEventsPerSecond === undefined
        ? {}
        : { eventsPerSecond: config.commandEventsPerSecond }),
      ...(config.commandReplyWaitMs === undefined ? {} : { replyWaitMs: config.commandReplyWaitMs }),
    },
    logger,
  );
  stack.defer(() => commands.close());
  return commands;
}

/**
 * Registers the Discord event handlers. Member, role and guild updates write through
 * `writeMemberChanges`, which revokes whoever loses the right to manage a guild in the same
 * transaction (outbox), by the rule the panel API applies.
 */
function attachDiscord(ctx: BotContext, tasks: TaskTracker, stack: CleanupStack): void {
  const { client } = ctx;
  for (const event of EVENTS) listen(ctx, client, tasks, event);
  stack.defer(async () => {
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
  const client = new Client(clientOptions(config, apiUrl, deps.clientOptions ?? {}));
  const shard = shardScopeOf(client);
  const base = deps.logger ?? createLogger(config.logLevel);
  const logger = shard.shards ? base.child({ shards: shard.shards.shards }) : base;
  const stack = new CleanupStack(logger);
  stack.defer(() => client.destroy());
  return stack.build(async () => {
    const db = deps.db ?? (await openDatabase(config, stack, logger, config.databasePoolMax));
    const { sync, configs } = await openConfigs(config, db, shard, deps, stack, logger);
    let markSynced: (error?: Error) => void = () => {};
    const synced = new Promise<void>((resolve, reject) => {
      markSynced = (error) => (error ? reject(error) : resolve());
    });
    const tasks = new TaskTracker();
    let commands: CommandLog | undefined;
    const ctx: BotContext = {
      client,
      shard,
      sync,
      configs,
      db,
      logger,
      get commands() {
        if (!commands) throw new Error('The command log is not open yet');
        return commands;
      },
      track: (work) => tasks.track(work),
      dispatch: (command, source) => dispatch(command, source),
      markSynced: (error) => markSynced(error),
    };
    const dispatch = createDispatcher(ctx);
    await connectSync(ctx, config, stack);
    commands = await openCommandLog(config, db, sync, stack, logger);
    attachDiscord(ctx, tasks, stack);
    const ready = await loginAndSync(client, token, synced, deps.readyTimeoutMs ?? 60_000);
    logger.info(
      { user: ready.user.tag, guilds: ready.guilds.cache.size, shards: ready.ws.shards.map((s) => s.id) },
      'Bot ready',
    );
    return { client: ready, sync, configs, db, close: () => stack.close() };
  });
}
