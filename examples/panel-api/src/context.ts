import type { EventPublisher } from '@wolaro/db';
import { RedisFallbackManager, type SyncClient } from '@wolaro/sync';
import type { Wakeable } from '@wolaro/sync/pg';
import type { SyncGateway } from '@wolaro/sync-socketio';
import type pg from 'pg';
import type { JsonCache } from './cache/json_cache.js';
import type { PanelApiConfig } from './config.js';
import type { DiscordApi } from './discord/api.js';
import type { Metrics } from './http/metrics.js';
import type { StallShedding } from './http/stall_shedding.js';
import type { AppLogger } from './logger.js';

/** Health of the API's dependencies, as `GET /api/health` reports it. */
export interface HealthReport {
  status: 'healthy' | 'degraded';
  redis: 'connected' | 'disconnected' | 'embedded';
  database: 'connected' | 'disconnected';
  websocket: 'active';
  connectedUsers: number;
}

/** Everything the routers use, built once by `startPanelApi`. */
export interface AppContext {
  readonly config: PanelApiConfig;
  readonly pool: pg.Pool;
  readonly sync: SyncClient;
  /** The outbox relay to wake when the fast path leaves a row (embedded mode needs it). */
  readonly relay: Wakeable | undefined;
  readonly cache: JsonCache;
  /**
   * Whether {@link cache} sends its commands on the connection {@link sync} publishes on, so a
   * settings write need not wait for its store before publishing (see `EventPublisher`).
   */
  readonly cacheOnBus?: boolean;
  readonly discord: DiscordApi;
  readonly gateway: SyncGateway;
  readonly metrics: Metrics;
  /** Answers 503 at once while the database hangs (`DATABASE_STALL_MS`). */
  readonly shedding: StallShedding;
  readonly logger: AppLogger;
  /** Base URL the OAuth2 redirect comes back to (`PANEL_ORIGIN`, else this server's URL). */
  publicUrl(): string;
  health(): Promise<HealthReport>;
}

/**
 * Where the routes' committed events go: the bus, the relay to wake, the outbox logger, and (with
 * Redis) the bots' L2, where a settings write stores the new config before announcing it.
 */
export function eventPublisher(ctx: AppContext): EventPublisher {
  return {
    sync: ctx.sync,
    relay: ctx.relay,
    logger: ctx.logger.child({ component: 'outbox' }),
    configCache: ctx.cache instanceof RedisFallbackManager ? ctx.cache : undefined,
    configCacheOnBus: ctx.cacheOnBus === true,
  };
}
