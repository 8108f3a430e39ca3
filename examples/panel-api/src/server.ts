import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CleanupStack,
  canShareConnection,
  createBus,
  createSharedCache,
  hasRedis,
  openDatabase,
  redisSourceOf,
  redisStartupError,
  startOutboxRelay,
} from '@wolaro/app-runtime';
import {
  type Database,
  expireSessions,
  pruneSessions,
  RetentionJob,
  runMigrations,
  watchForStall,
} from '@wolaro/db';
import { CHANNELS, type MemoryBus, type RedisTransport, type SyncClient } from '@wolaro/sync';
import { type OutboxRelay, pendingOutboxCount } from '@wolaro/sync/pg';
import type { SyncGateway } from '@wolaro/sync-socketio';
import type { Express } from 'express';
import { Server } from 'socket.io';
import { createApp } from './app.js';
import { type JsonCache, MemoryJsonCache } from './cache/json_cache.js';
import { createConfig, type PanelApiConfig } from './config.js';
import type { AppContext, HealthReport } from './context.js';
import { DiscordApi } from './discord/api.js';
import { Metrics } from './http/metrics.js';
import { stallShedding } from './http/stall_shedding.js';
import { type AppLogger, createLogger } from './logger.js';
import { attachRedisAdapter } from './realtime/adapter.js';
import { createGateway } from './realtime/gateway.js';

/** Parts built elsewhere (tests, the one-process launcher). Whatever you pass stays yours: `close()` leaves it open. */
export interface PanelApiDeps {
  /** An open, migrated database (migrations are run again: they are idempotent). */
  db?: Database;
  /** A connected `SyncClient` (e.g. shared with the bot in one process). */
  sync?: SyncClient;
  /** The in-process bus to join when neither `sync` nor `REDIS_URL` is given. */
  bus?: MemoryBus;
  /** The cache behind channel names and `/api/admin/cache/stats`. */
  cache?: JsonCache;
  /** A pino-compatible logger (default: pino at `LOG_LEVEL`). */
  logger?: AppLogger;
}

/** A running panel API. */
export interface PanelApi {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly config: PanelApiConfig;
  readonly app: Express;
  readonly io: Server;
  readonly gateway: SyncGateway;
  readonly sync: SyncClient;
  readonly db: Database;
  readonly relay: OutboxRelay;
  readonly cache: JsonCache;
  readonly discord: DiscordApi;
  readonly metrics: Metrics;
  /** Stops accepting, disconnects sockets, stops the relay, then closes what this call created. Idempotent. */
  close(): Promise<void>;
}

/** The port is taken: the message says which and what to do. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`Port ${port} on ${host} is already in use: stop the other process or set PORT to a free port`);
  }
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** How long `/api/health` waits for the database, on a connection of its own. */
const HEALTH_TIMEOUT_MS = 1000;

async function pingDatabase(db: Database, timeoutMs: number): Promise<boolean> {
  if ((db.pool as { ended?: boolean }).ended) return false;
  if (db.ping) return db.ping(timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      db.pool.query('SELECT 1').then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** How often sessions that reached their expiry are closed (and their sockets told). */
const SESSION_SWEEP_MS = 60_000;

/** The database: injected (migrations run again: they are idempotent), or opened from the config. */
async function openApiDatabase(
  config: PanelApiConfig,
  deps: PanelApiDeps,
  stack: CleanupStack,
  logger: AppLogger,
) {
  const dbLogger = logger.child({ component: 'db' });
  if (!deps.db) return openDatabase(config, stack, dbLogger, config.databasePoolMax);
  await runMigrations(deps.db.pool, dbLogger);
  return deps.db;
}

/** The bus (connected) and its Redis leg, the outbox relay, and the session pruning timer. */
async function openBus(
  config: PanelApiConfig,
  db: Database,
  deps: PanelApiDeps,
  stack: CleanupStack,
  logger: AppLogger,
): Promise<{ sync: SyncClient; redis: RedisTransport | undefined; relay: OutboxRelay }> {
  let sync = deps.sync;
  let redis: RedisTransport | undefined;
  if (!sync) {
    const bus = createBus(config, db, logger.child({ component: 'sync' }), deps.bus);
    sync = stack.use(bus.sync, (s) => s.close());
    redis = bus.redis;
    try {
      await sync.connect();
    } catch (err) {
      const source = redisSourceOf(config);
      throw source === undefined ? err : redisStartupError(err, source);
    }
  }
  const relay = await startOutboxRelay(db, sync, stack, logger.child({ component: 'outbox' }));
  // Expired and revoked sessions are kept a week (for audits), then deleted.
  const pruneTimer = setInterval(() => {
    pruneSessions(db.pool).catch((err: unknown) => logger.warn({ err }, 'Session pruning failed'));
  }, 3_600_000);
  pruneTimer.unref();
  stack.defer(() => clearInterval(pruneTimer));
  const day = 86_400_000;
  const retention = new RetentionJob(
    db.pool,
    {
      revisionsKept: config.retention.revisionsKept,
      revisionMaxAgeMs: config.retention.revisionMaxAgeDays * day,
      auditMaxAgeMs: config.retention.auditDays * day,
      intervalMs: config.retention.intervalMs,
    },
    logger.child({ component: 'retention' }),
  );
  retention.start();
  stack.defer(() => retention.stop());
  // Sessions reaching their expiry are closed with a `session:revoked` (outbox), so every node
  // disconnects their sockets even where the token's own timer did not run.
  const outboxLogger = logger.child({ component: 'outbox' });
  const expiryTimer = setInterval(() => {
    expireSessions(db.pool, { sync, relay, logger: outboxLogger }).catch((err: unknown) =>
      logger.warn({ err }, 'Session expiry sweep failed'),
    );
  }, SESSION_SWEEP_MS);
  expiryTimer.unref();
  stack.defer(() => clearInterval(expiryTimer));
  return { sync, redis, relay };
}

/**
 * The cache behind channel names and the bots' L2 of the settings writes: injected, Redis with the
 * memory fallback (on the bus's publishing connection when it can share it), or memory alone.
 * `onBus`: whether it is on that connection (a settings write then need not wait for its store).
 */
async function openCache(
  config: PanelApiConfig,
  deps: PanelApiDeps,
  stack: CleanupStack,
  logger: AppLogger,
  publishOn: RedisTransport | undefined,
): Promise<{ cache: JsonCache; onBus: boolean }> {
  if (deps.cache) return { cache: deps.cache, onBus: false };
  const shared = createSharedCache(config, logger.child({ component: 'cache' }), publishOn);
  const cache: JsonCache = shared ?? new MemoryJsonCache();
  stack.defer(() => cache.close());
  // First connection settled (or fell back to memory) before we report health or close it.
  await (cache as { ready?: () => Promise<void> }).ready?.();
  return { cache, onBus: shared !== undefined && canShareConnection(publishOn) };
}

/** Prometheus metrics, with the publish→deliver lag of every event this process receives. */
function createMetrics(
  sync: SyncClient,
  db: Database,
  cache: JsonCache,
  redisUp: () => boolean | undefined,
  sockets: () => SyncGateway | undefined,
  stack: CleanupStack,
): Metrics {
  const metrics = new Metrics({
    cacheStats: () => cache.stats(),
    redisUp,
    pendingOutbox: () => pendingOutboxCount(db.pool),
    sockets: () =>
      sockets()?.stats() ?? { connectedUsers: 0, totalConnections: 0, eventsSent: 0, eventsUnwatched: 0 },
  });
  // Each event carries the time it was published (outbox rows: the time of the change).
  const unsubscribes = Object.values(CHANNELS).map((channel) =>
    sync.subscribe(channel, (event: { timestamp: number }) => {
      metrics.deliveryLag.observe({ channel }, Math.max(0, Date.now() - event.timestamp) / 1000);
    }),
  );
  stack.defer(() => {
    for (const off of unsubscribes) off();
  });
  return metrics;
}

/** The HTTP server with Socket.io on it, not yet listening; `setHandler` installs the app. */
function createHttp(config: PanelApiConfig, stack: CleanupStack) {
  let handler: RequestListener = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handler(req, res));
  const io = new Server(server, {
    serveClient: false,
    ...(config.panelOrigin ? { cors: { origin: [config.panelOrigin] } } : {}),
  });
  stack.defer(async () => {
    server.closeAllConnections();
    await io.close();
  });
  const allowedOrigins = config.panelOrigin
    ? [config.panelOrigin]
    : config.port !== 0
      ? [`http://${hostForUrl(config.host)}:${config.port}`, `http://localhost:${config.port}`]
      : undefined;
  const setHandler = (next: RequestListener) => {
    handler = next;
  };
  return { server, io, allowedOrigins, setHandler };
}

/** Listens on the configured port; the URL it serves. */
async function listen(server: ReturnType<typeof createServer>, config: PanelApiConfig): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(config.host, config.port) : err);
    };
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return `http://${hostForUrl(config.host)}:${(server.address() as AddressInfo).port}`;
}

/**
 * Starts the panel API (Express 5 + Socket.io on one port) from a config (see `loadConfig`) or
 * overrides of the defaults, with optional injected parts. A failing step closes what was started
 * and rejects; an unreachable database or Redis rejects with one line saying where and what to do.
 *
 * @example
 * ```ts
 * const api = await startPanelApi({ port: 0, databaseUrl, redisUrl, jwtSecret });
 * console.log(`Panel API listening on ${api.url}`);
 * await api.close();
 * ```
 */
export async function startPanelApi(
  input: PanelApiConfig | Partial<PanelApiConfig> = {},
  deps: PanelApiDeps = {},
): Promise<PanelApi> {
  const config = createConfig(input);
  const logger = deps.logger ?? createLogger(config.logLevel);
  const stack = new CleanupStack(logger);
  return stack.build(async () => {
    const db = await openApiDatabase(config, deps, stack, logger);
    const { sync, redis, relay } = await openBus(config, db, deps, stack, logger);
    const { cache, onBus: cacheOnBus } = await openCache(config, deps, stack, logger, redis);
    const redisUp = () => (hasRedis(config) ? cache.isRedisAvailable && (redis?.healthy ?? true) : undefined);
    let gateway: SyncGateway | undefined;
    const metrics = createMetrics(sync, db, cache, redisUp, () => gateway, stack);
    const discord = new DiscordApi({
      baseUrl: config.discordApiUrl,
      botToken: config.discordToken,
      clientId: config.discordClientId,
      clientSecret: config.discordClientSecret,
      onRequest: (route, status) => metrics.discordRequests.inc({ route, status: String(status) }),
    });
    // Registered first so it runs after Socket.io is closed (the stack closes last-first).
    let closeAdapter: (() => Promise<void>) | undefined;
    stack.defer(() => closeAdapter?.());
    const http = createHttp(config, stack);
    closeAdapter = await attachRedisAdapter(http.io, config, logger.child({ component: 'socket' }));
    const attached = createGateway(http.io, {
      sync,
      pool: db.pool,
      jwtSecret: config.jwtSecret,
      allowedOrigins: http.allowedOrigins,
      connectLimit: config.socketConnectLimit,
      trustProxy: config.trustProxy,
      logger: logger.child({ component: 'socket' }),
    });
    gateway = attached;
    stack.defer(() => attached.close());
    let url = '';
    const health = async (): Promise<HealthReport> => {
      const database = (await pingDatabase(db, HEALTH_TIMEOUT_MS)) ? 'connected' : 'disconnected';
      const up = redisUp();
      const redisState = up === undefined ? 'embedded' : up ? 'connected' : 'disconnected';
      // Requests queue for a connection: the database answers, but this node is saturated.
      const saturated = db.pool.waitingCount > 0;
      return {
        status:
          database === 'connected' && redisState !== 'disconnected' && !saturated ? 'healthy' : 'degraded',
        redis: redisState,
        database,
        websocket: 'active',
        connectedUsers: attached.stats().connectedUsers,
      };
    };
    const shedding = stallShedding(logger.child({ component: 'http' }));
    // The embedded database runs in-process and cannot hang like a network link: no guard there.
    const stallGuard = watchForStall(db.pool, (ms) => pingDatabase(db, ms), {
      stallMs: db.kind === 'postgres' ? config.databaseStallMs : 0,
      onChange: (stalled) => shedding.setStalled(stalled),
    });
    stack.defer(() => stallGuard.close());
    const ctx: AppContext = {
      config,
      pool: db.pool,
      sync,
      relay,
      cache,
      cacheOnBus,
      discord,
      gateway: attached,
      metrics,
      shedding,
      logger,
      publicUrl: () => config.panelOrigin ?? url,
      health,
    };
    const app = createApp(ctx);
    http.setHandler(app);
    url = await listen(http.server, config);
    const port = (http.server.address() as AddressInfo).port;
    logger.info(
      { url, transport: sync.stats().transport, database: db.kind },
      `Panel API listening on ${url}`,
    );
    const { io } = http;
    return {
      url,
      port,
      config,
      app,
      io,
      gateway: attached,
      sync,
      db,
      relay,
      cache,
      discord,
      metrics,
      close: () => stack.close(),
    };
  });
}
