import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HEARTBEAT_INTERVAL } from './constants.js';
import { EmulatorControl } from './control/control_api.js';
import { createControlRouter } from './control/control_routes.js';
import type { EmulatorConfig, EmulatorContext } from './domain/context.js';
import { GatewayHub } from './gateway/hub.js';
import { createHttpServer } from './http/http_server.js';
import { type EmulatorLogger, silentLogger } from './logger.js';
import { RateLimiter, type RateLimitOptions } from './rest/rate_limit.js';
import { createRestRouter } from './rest/rest_router.js';
import { SnowflakeGenerator } from './snowflake.js';
import {
  applySeed,
  resolveSeed,
  type SeedData,
  type SeedOverrides,
  seedApplication,
} from './state/seed_data.js';
import { type EmulatorSnapshot, EmulatorState } from './state/state_store.js';

/**
 * Options of {@link startEmulator}.
 *
 * @example
 * ```ts
 * const options: EmulatorOptions = { port: 0, seed: 'demo', heartbeatIntervalMs: 1000, privilegedIntents: false };
 * ```
 */
export interface EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** `demo` (default), `empty`, or custom data. */
  seed?: 'demo' | 'empty' | SeedData;
  /** Bot token to accept instead of the seed's (default `DEFAULT_BOT_TOKEN` for the demo). */
  botToken?: string;
  /** Where to log; default silent. */
  logger?: EmulatorLogger;
  /** HELLO heartbeat interval in ms; default 41250 (Discord's). */
  heartbeatIntervalMs?: number;
  /** Close a socket with 4009 when no heartbeat arrives for this long; default 1.5 × the interval. */
  heartbeatTimeoutMs?: number;
  /** Allow GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT (default true); false → IDENTIFY closed with 4014. */
  privilegedIntents?: boolean;
  /** How long a disconnected gateway session stays resumable; default 120000 ms. */
  sessionTtlMs?: number;
  /** Dispatches kept per session for RESUME replay; default 1000. */
  replayBufferSize?: number;
  /** Time a bot has to call back an interaction; default 3000 ms (Discord's). */
  interactionResponseTimeoutMs?: number;
  /** Per-route REST rate limit (default 1000 requests / second / bucket), or false to disable. */
  rateLimit?: RateLimitOptions | false;
  /** OAuth2 settings. */
  oauth?: {
    /** Client secret; default `emulator-secret`. */
    clientSecret?: string;
    /** Allowed redirect URIs; default any http(s) URI. */
    redirectUris?: string[];
    /** Access token lifetime; default 604800 s (7 days, like Discord). */
    accessTokenTtlSeconds?: number;
  };
  /** Advertise this base URL instead of `http://host:port` (e.g. behind a proxy or in Docker). */
  publicUrl?: string;
  /**
   * The `shards` that `GET /gateway/bot` recommends (what discord.js `shards: 'auto'` spawns). Default:
   * like Discord, one shard per 1,000 guilds of the bot, at least one.
   */
  recommendedShards?: number;
}

/**
 * A running emulator.
 *
 * @example
 * ```ts
 * const emulator: DiscordEmulator = await startEmulator();
 * const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: emulator.apiUrl } });
 * await client.login(emulator.botToken);
 * ```
 */
export interface DiscordEmulator {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `${url}/api`: give it to discord.js as `rest.api`. */
  readonly apiUrl: string;
  /** `ws://127.0.0.1:<port>/gateway`, as returned by `GET /gateway/bot`. */
  readonly gatewayUrl: string;
  /** The bot token REST and the gateway accept. */
  readonly botToken: string;
  /** Application id = bot user id = OAuth2 client id. */
  readonly applicationId: string;
  /** OAuth2 client secret. */
  readonly clientSecret: string;
  /** Typed twin of the `/_emulator` HTTP control API. */
  readonly control: EmulatorControl;
  /** The in-memory data (read it; change it through `control` so bots get events). */
  readonly state: EmulatorState;
  /** A deep copy of the state. */
  snapshot(): EmulatorSnapshot;
  /** Replaces the state with a deep copy of a snapshot (no gateway events are sent). */
  restore(snapshot: EmulatorSnapshot): void;
  /** Closes gateway sockets and the HTTP server. Idempotent. */
  stop(): Promise<void>;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function emulatorConfig(options: EmulatorOptions): EmulatorConfig {
  const shards = options.recommendedShards;
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) {
    throw new RangeError(`recommendedShards must be an integer of at least 1, got ${String(shards)}`);
  }
  return {
    baseUrl: 'http://127.0.0.1',
    gatewayUrl: 'ws://127.0.0.1/gateway',
    interactionResponseTimeoutMs: options.interactionResponseTimeoutMs ?? 3000,
    interactionTokenTtlMs: 15 * 60 * 1000,
    privilegedIntents: options.privilegedIntents ?? true,
    accessTokenTtlSeconds: options.oauth?.accessTokenTtlSeconds ?? 604_800,
    recommendedShards: options.recommendedShards,
  };
}

function createGateway(
  options: EmulatorOptions,
  state: EmulatorState,
  config: EmulatorConfig,
  logger: EmulatorLogger,
): GatewayHub {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL;
  return new GatewayHub({
    state,
    logger,
    heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? Math.round(heartbeatIntervalMs * 1.5),
    privilegedIntents: config.privilegedIntents,
    sessionTtlMs: options.sessionTtlMs ?? 120_000,
    replayBufferSize: options.replayBufferSize ?? 1000,
    gatewayUrl: () => config.gatewayUrl,
  });
}

/** The control API; its reset goes back to the start state, or to a new seed. */
function createControl(ctx: EmulatorContext, gateway: GatewayHub, overrides: SeedOverrides): EmulatorControl {
  const { state } = ctx;
  const initialSnapshot = state.snapshot();
  const reset = (seed?: 'demo' | 'empty' | SeedData) => {
    gateway.disconnect({ invalidate: true });
    if (seed === undefined) {
      state.restore(initialSnapshot);
      return;
    }
    const data = resolveSeed(seed);
    state.clear(seedApplication(data, overrides));
    applySeed(ctx, data);
  };
  return new EmulatorControl({
    ctx,
    sessions: () => gateway.sessions(),
    disconnect: (o) => gateway.disconnect(o),
    reset,
  });
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** An idempotent stop: closes the gateway, then the HTTP server and its connections. */
function stopper(gateway: GatewayHub, server: Server, logger: EmulatorLogger): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => {
    stopping ??= (async () => {
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      logger.info('Discord emulator stopped');
    })();
    return stopping;
  };
}

/**
 * Starts a local Discord (REST v10, Gateway v10, OAuth2) that an unmodified discord.js v14 client can log into.
 *
 * @example
 * ```ts
 * import { Client, GatewayIntentBits } from 'discord.js';
 * import { DEMO, startEmulator } from '@wolaro/discord-emulator';
 *
 * const emulator = await startEmulator({ seed: 'demo' });
 * const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: emulator.apiUrl } });
 * await client.login(emulator.botToken);
 * client.guilds.cache.get(DEMO.guildId)?.name; // 'Wolaro Demo'
 * await client.destroy();
 * await emulator.stop();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<DiscordEmulator> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const initialSeed = resolveSeed(options.seed);
  const overrides: SeedOverrides = {
    botToken: options.botToken,
    clientSecret: options.oauth?.clientSecret,
    redirectUris: options.oauth?.redirectUris,
  };
  const state = new EmulatorState(seedApplication(initialSeed, overrides));
  const config = emulatorConfig(options);
  const gateway = createGateway(options, state, config, logger);
  const ctx: EmulatorContext = { state, gateway, ids: new SnowflakeGenerator(), config, logger };
  applySeed(ctx, initialSeed);
  const control = createControl(ctx, gateway, overrides);
  const snapshot = () => state.snapshot();
  const restore = (snap: EmulatorSnapshot) => state.restore(snap);
  const limiter = options.rateLimit === false ? null : new RateLimiter(options.rateLimit ?? {});
  const server = createHttpServer({
    ctx,
    rest: createRestRouter(),
    control: createControlRouter(),
    controlDeps: { control, snapshot, restore },
    limiter,
    gateway,
  });

  const port = await listen(server, options.port ?? 0, host);
  const url = (options.publicUrl ?? `http://${hostForUrl(host)}:${port}`).replace(/\/$/, '');
  config.baseUrl = url;
  config.gatewayUrl = `${url.replace(/^http/, 'ws')}/gateway`;
  logger.info(`Discord emulator listening on ${url}`);

  return {
    url,
    apiUrl: `${url}/api`,
    gatewayUrl: config.gatewayUrl,
    get botToken() {
      return state.application().bot_token;
    },
    get applicationId() {
      return state.application().id;
    },
    get clientSecret() {
      return state.application().client_secret;
    },
    control,
    state,
    snapshot,
    restore,
    stop: stopper(gateway, server, logger),
  };
}
