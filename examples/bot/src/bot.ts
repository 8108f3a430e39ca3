import {
  createDatabase,
  type Database,
  guildConfigLoaders,
  removeMember,
  upsertMembers,
} from '@wolaro/panel-api/db';
import {
  GuildConfigCache,
  type MemoryBus,
  type RedisFallbackManager,
  type SyncClient,
  toError,
} from '@wolaro/sync';
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
import { createCache, createSyncClient } from './sync.js';

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
  /** An open, migrated database (`createDatabase` of `@wolaro/panel-api/db`). */
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

/**
 * Starts the bot: database, bus, guild config cache, discord.js client, event
 * handlers, permission revocation watch. Resolves once READY arrived and every guild and its
 * members are in the database, after logging `Bot ready`.
 *
 * @example
 * ```ts
 * const bot = await startBot(loadConfig(process.env, { standalone: true }));
 * process.once('SIGTERM', () => void bot.close());
 * ```
 */
export async function startBot(config: BotConfig, deps: BotDeps = {}): Promise<Bot> {
  const token = config.discordToken ?? deps.emulator?.botToken;
  if (token === undefined) throw new ConfigError(['DISCORD_TOKEN: required (the bot token)']);
  const apiUrl = config.discordApiUrl ?? deps.emulator?.apiUrl;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const tasks = new TaskTracker();
  const cleanups: (() => Promise<void> | void)[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (err) {
          logger.warn({ err }, 'Bot shutdown step failed');
        }
      }
    })();
    return closing;
  };

  try {
    const db =
      deps.db ?? (await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger }));
    if (!deps.db) cleanups.push(() => db.close());

    const sync = deps.sync ?? createSyncClient(config, db, deps.bus, logger);
    if (!deps.sync) cleanups.push(() => sync.close());
    const cache = deps.cache ?? createCache(config, logger);
    if (!deps.cache && cache) cleanups.push(() => cache.close());

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

    let markSynced: (error?: Error) => void = () => {};
    const synced = new Promise<void>((resolve, reject) => {
      markSynced = (error) => (error ? reject(error) : resolve());
    });
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

    // The cache subscribes before the bus connects, so no event is missed.
    await configs.start();
    const offs = SYNC_HANDLERS.map((handler) => subscribeHandler(ctx, handler));
    cleanups.push(() => {
      for (const off of offs) off();
      configs.stop();
    });
    await sync.connect();

    for (const event of EVENTS) listen(ctx, client, tasks, event);
    const unwatch = watchPermissionRevocations(client, sync, {
      // Runs before `permission:revoked` is published: the API's next check already refuses.
      onRevoked: (revocation: Revocation) =>
        tasks.track(
          revocation.member
            ? upsertMembers(db.pool, revocation.guildId, [memberRecord(revocation.member)]).then(() => {})
            : removeMember(db.pool, revocation.guildId, revocation.userId).then(() => {}),
        ),
      logger,
    });
    cleanups.push(async () => {
      unwatch();
      await client.destroy();
      await tasks.drain(5000);
    });

    const timeoutMs = deps.readyTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Discord READY not received within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([client.login(token).then(() => synced), timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (!client.isReady()) throw new Error('discord.js client is not ready after READY');
    logger.info(
      { user: client.user.tag, guilds: client.guilds.cache.size, shards: client.ws.shards.map((s) => s.id) },
      'Bot ready',
    );
    return { client, sync, configs, db, close };
  } catch (err) {
    await close();
    throw toError(err);
  }
}
