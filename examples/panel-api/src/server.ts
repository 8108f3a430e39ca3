import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabase, type Database, pruneSessions, runMigrations } from '@wolaro/db';
import { CHANNELS, type MemoryBus, type SyncClient } from '@wolaro/sync';
import { OutboxRelay, pendingOutboxCount } from '@wolaro/sync/pg';
import type { SyncGateway } from '@wolaro/sync-socketio';
import type { Express } from 'express';
import { Server } from 'socket.io';
import { createApp } from './app.js';
import type { JsonCache } from './cache/json_cache.js';
import { createConfig, type PanelApiConfig } from './config.js';
import type { AppContext, HealthReport } from './context.js';
import { DiscordApi } from './discord/api.js';
import { Metrics } from './http/metrics.js';
import { type AppLogger, createLogger } from './logger.js';
import { createGateway } from './realtime/gateway.js';
import { createCache, createSync } from './realtime/sync.js';

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

async function pingDatabase(db: Database, timeoutMs: number): Promise<boolean> {
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

/**
 * Starts the panel API (Express 5 + Socket.io on one port) from a config (see `loadConfig`) or
 * overrides of the defaults, with optional injected parts.
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
  const cleanup: (() => Promise<unknown>)[] = [];
  const unwind = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
  };

  try {
    let db: Database;
    if (deps.db) {
      db = deps.db;
      await runMigrations(db.pool, logger.child({ component: 'db' }));
    } else {
      db = await createDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        max: config.databasePoolMax,
        logger: logger.child({ component: 'db' }),
      });
      cleanup.push(() => db.close());
    }

    let sync: SyncClient;
    let redisTransport: { healthy: boolean } | undefined;
    if (deps.sync) {
      sync = deps.sync;
    } else {
      const setup = await createSync(config, db, logger, deps.bus);
      sync = setup.sync;
      redisTransport = setup.redis;
      cleanup.push(() => setup.sync.close());
    }

    const relay = new OutboxRelay({
      pool: db.pool,
      sync,
      notify: db.kind === 'postgres',
      logger: logger.child({ component: 'outbox' }),
    });
    await relay.start();
    cleanup.push(() => relay.stop());

    // Expired and revoked sessions are kept a week (for audits), then deleted.
    const pruneTimer = setInterval(() => {
      pruneSessions(db.pool).catch((err: unknown) => logger.warn({ err }, 'Session pruning failed'));
    }, 3_600_000);
    pruneTimer.unref();
    cleanup.push(async () => clearInterval(pruneTimer));

    const cache = deps.cache ?? createCache(config, logger);
    if (!deps.cache) {
      cleanup.push(() => cache.close());
      // First connection settled (or fell back to memory) before we report health or close it.
      await (cache as { ready?: () => Promise<void> }).ready?.();
    }

    const embeddedBus = config.redisUrl === undefined;
    const redisUp = () =>
      embeddedBus ? undefined : cache.isRedisAvailable && (redisTransport?.healthy ?? true);
    let gateway: SyncGateway | undefined;
    const metrics = new Metrics({
      cacheStats: () => cache.stats(),
      redisUp,
      pendingOutbox: () => pendingOutboxCount(db.pool),
      sockets: () => gateway?.stats() ?? { connectedUsers: 0, totalConnections: 0 },
    });
    // Publish→deliver lag: each event carries the time it was published (outbox rows: the time of
    // the change), compared with the time it reaches this process.
    const unsubscribes = Object.values(CHANNELS).map((channel) =>
      sync.subscribe(channel, (event: { timestamp: number }) => {
        metrics.deliveryLag.observe({ channel }, Math.max(0, Date.now() - event.timestamp) / 1000);
      }),
    );
    cleanup.push(async () => {
      for (const off of unsubscribes) off();
    });

    const discord = new DiscordApi({
      baseUrl: config.discordApiUrl,
      botToken: config.discordToken,
      clientId: config.discordClientId,
      clientSecret: config.discordClientSecret,
      onRequest: (route, status) => metrics.discordRequests.inc({ route, status: String(status) }),
    });

    let handler: RequestListener = (_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 503;
      res.end();
    };
    const server = createServer((req, res) => handler(req, res));
    const allowedOrigins = config.panelOrigin
      ? [config.panelOrigin]
      : config.port !== 0
        ? [`http://${hostForUrl(config.host)}:${config.port}`, `http://localhost:${config.port}`]
        : undefined;
    const io = new Server(server, {
      serveClient: false,
      ...(config.panelOrigin ? { cors: { origin: [config.panelOrigin] } } : {}),
    });
    cleanup.push(async () => {
      server.closeAllConnections();
      await io.close();
    });
    gateway = createGateway(io, {
      sync,
      pool: db.pool,
      jwtSecret: config.jwtSecret,
      allowedOrigins,
      logger: logger.child({ component: 'socket' }),
    });
    const attached = gateway;
    cleanup.push(() => attached.close());

    let url = '';
    const ctx: AppContext = {
      config,
      pool: db.pool,
      sync,
      relay,
      cache,
      discord,
      gateway: attached,
      metrics,
      logger,
      publicUrl: () => config.panelOrigin ?? url,
      health: async (): Promise<HealthReport> => {
        const database = (await pingDatabase(db, 2000)) ? 'connected' : 'disconnected';
        const up = redisUp();
        const redis = up === undefined ? 'embedded' : up ? 'connected' : 'disconnected';
        return {
          status: database === 'connected' && redis !== 'disconnected' ? 'healthy' : 'degraded',
          redis,
          database,
          websocket: 'active',
          connectedUsers: attached.stats().connectedUsers,
        };
      },
    };
    const app = createApp(ctx);
    handler = app;

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
    const port = (server.address() as AddressInfo).port;
    url = `http://${hostForUrl(config.host)}:${port}`;
    logger.info(
      { url, transport: sync.stats().transport, database: db.kind },
      `Panel API listening on ${url}`,
    );

    let closing: Promise<void> | undefined;
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
      close() {
        closing ??= unwind();
        return closing;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
