import type { GatewayStats } from '@wolaro/sync-socketio';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Live readings the gauges take at scrape time. */
export interface MetricSources {
  cacheStats(): { hits: number; misses: number };
  /** `undefined` in embedded mode (no Redis configured). */
  redisUp(): boolean | undefined;
  pendingOutbox(): Promise<number>;
  /** The gateway's counters of this node (guild room count not needed here). */
  sockets(): Omit<GatewayStats, 'rooms'>;
}

/** The API's Prometheus metrics (one registry per server, so tests can run several). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly deliveryLag: Histogram<'channel'>;
  readonly discordRequests: Counter<'route' | 'status'>;
  readonly channelCache: Counter<'result'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.deliveryLag = new Histogram({
      name: 'wolaro_sync_delivery_lag_seconds',
      help: 'Time from an event being published (its timestamp) to its receipt by this API, by channel',
      labelNames: ['channel'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.discordRequests = new Counter({
      name: 'wolaro_discord_requests_total',
      help: 'Requests sent to the Discord REST API, by route and status (0 = unreachable)',
      labelNames: ['route', 'status'],
      registers,
    });
    this.channelCache = new Counter({
      name: 'wolaro_discord_channels_cache_total',
      help: 'Channel-name lookups answered from the cache (hit) or Discord (miss)',
      labelNames: ['result'],
      registers,
    });
    new Counter({
      name: 'wolaro_cache_hits_total',
      help: 'Cache reads that found a value (RedisFallbackManager or the embedded memory cache)',
      registers,
      collect() {
        this.reset();
        this.inc(sources.cacheStats().hits);
      },
    });
    new Counter({
      name: 'wolaro_cache_misses_total',
      help: 'Cache reads that found nothing',
      registers,
      collect() {
        this.reset();
        this.inc(sources.cacheStats().misses);
      },
    });
    new Gauge({
      name: 'wolaro_redis_up',
      help: '1 when Redis answers, 0 when it is down or not configured (embedded mode)',
      registers,
      collect() {
        this.set(sources.redisUp() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'wolaro_outbox_pending',
      help: 'Outbox events committed but not yet published',
      registers,
      async collect() {
        try {
          this.set(await sources.pendingOutbox());
        } catch {
          // database down: the gauge keeps its last value; /api/health reports the outage
        }
      },
    });
    new Gauge({
      name: 'wolaro_websocket_connections',
      help: 'Authenticated Socket.io connections on this node',
      registers,
      collect() {
        this.set(sources.sockets().totalConnections);
      },
    });
    new Gauge({
      name: 'wolaro_websocket_users',
      help: 'Distinct users connected to this node',
      registers,
      collect() {
        this.set(sources.sockets().connectedUsers);
      },
    });
    new Counter({
      name: 'wolaro_websocket_guild_events_total',
      help: 'Guild events from the bus: sent to a room of this node (sent), or dropped because no socket here had the guild open (unwatched)',
      labelNames: ['result'],
      registers,
      collect() {
        const { eventsSent, eventsUnwatched } = sources.sockets();
        this.reset();
        this.inc({ result: 'sent' }, eventsSent);
        this.inc({ result: 'unwatched' }, eventsUnwatched);
      },
    });
  }

  /** Times every request under its route pattern (`/api/panel/guilds/:id`), never its raw URL. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => {
        const pattern = (req.route as { path?: unknown } | undefined)?.path;
        const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
        end({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }
}
