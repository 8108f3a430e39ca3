/**
 * The raw floor of one config change, all in this process, with the same payloads as the system:
 * a durable single-statement `UPDATE` of a table shaped like `guilds` (pg, default synchronous
 * commit) → ioredis `PUBLISH` → a raw ioredis subscriber's `message` → (socket path) a raw
 * socket.io server's `io.to(room).emit('config:updated')` → a socket.io-client; (bot path) the
 * bot's reload query (the `loadGuildConfig` SELECT) on the subscriber side.
 *
 * No JWT, no session or permission checks, no revision or outbox rows, no validation: what any
 * implementation of "write it durably, then tell everyone" has to pay on this machine.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { REDIS_URL } from './system.js';

/** One floor sample: ms from the start of the UPDATE. */
export interface FloorSample {
  /** The subscriber's `message` event (UPDATE + PUBLISH + delivery). */
  message: number;
  /** The socket.io-client got `config:updated`. */
  socket: number;
  /** The reload query answered on the subscriber side (the bot path's floor). */
  reload: number;
}

const GUILD = '999999999999999999';

interface PendingFloor {
  version: number;
  t0: number;
  marks: Partial<FloorSample>;
  resolve: (s: FloorSample) => void;
}

export class RawFloor {
  readonly #pool: pg.Pool;
  readonly #channel: string;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #http: HttpServer;
  readonly #io: Server;
  #client: Socket | undefined;
  #pending: PendingFloor | undefined;
  #seq = 0;

  private constructor(pool: pg.Pool, keyPrefix: string) {
    this.#pool = pool;
    this.#channel = `${keyPrefix}floor:config:update`;
    this.#pub = new Redis(REDIS_URL, { lazyConnect: true });
    this.#sub = new Redis(REDIS_URL, { lazyConnect: true });
    this.#http = createServer();
    this.#io = new Server(this.#http, { serveClient: false });
  }

  /** Creates `floor_guilds` (LIKE guilds INCLUDING ALL) with one row, the Redis pair and the socket pair. */
  static async start(pool: pg.Pool, keyPrefix: string): Promise<RawFloor> {
    const floor = new RawFloor(pool, keyPrefix);
    await floor.#start();
    return floor;
  }

  async #start(): Promise<void> {
    await this.#pool.query('CREATE TABLE IF NOT EXISTS floor_guilds (LIKE guilds INCLUDING ALL)');
    await this.#pool.query(
      `INSERT INTO floor_guilds (guild_id, name, owner_id) VALUES ($1, 'floor', '100000000000000001')
       ON CONFLICT (guild_id) DO NOTHING`,
      [GUILD],
    );
    await Promise.all([this.#pub.connect(), this.#sub.connect()]);
    await this.#sub.subscribe(this.#channel);
    this.#sub.on('message', (channel: string, raw: string) => {
      if (channel !== this.#channel) return;
      const payload = JSON.parse(raw) as { guildId: string; version: number };
      const p = this.#pending;
      if (!p || payload.version !== p.version) return;
      p.marks.message = performance.now() - p.t0;
      this.#io.to(`guild:${payload.guildId}`).emit('config:updated', payload);
      this.#pool
        .query(
          `SELECT g.settings, g.version,
                  COALESCE((SELECT jsonb_agg(jsonb_build_object('name', m.name, 'enabled', m.enabled, 'config', m.config))
                            FROM guild_modules m WHERE m.guild_id = g.guild_id), '[]'::jsonb) AS modules
             FROM floor_guilds g WHERE g.guild_id = $1`,
          [payload.guildId],
        )
        .then(() => {
          p.marks.reload = performance.now() - p.t0;
          this.#settle(p);
        });
    });
    this.#io.on('connection', (socket) => {
      void socket.join(`guild:${GUILD}`);
    });
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
    const { port } = this.#http.address() as AddressInfo;
    const client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
    this.#client = client;
    client.on('config:updated', (payload: { version: number }) => {
      const p = this.#pending;
      if (!p || payload.version !== p.version) return;
      p.marks.socket = performance.now() - p.t0;
      this.#settle(p);
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    // the room join happens on the server's connection handler: let it run
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  #settle(p: PendingFloor): void {
    const { message, socket, reload } = p.marks;
    if (message === undefined || socket === undefined || reload === undefined) return;
    this.#pending = undefined;
    p.resolve({ message, socket, reload });
  }

  /** One change: resolves when both the socket and the reload finished (rejects after `timeoutMs`). */
  async once(timeoutMs = 5000): Promise<FloorSample> {
    const prefix = `f${(this.#seq++ % 10_000).toString()}`;
    const t0 = performance.now();
    const { rows } = await this.#pool.query<{ settings: Record<string, unknown>; version: string }>(
      `UPDATE floor_guilds SET settings = settings || $2::jsonb, version = version + 1, updated_at = now()
        WHERE guild_id = $1 RETURNING settings, version`,
      [GUILD, JSON.stringify({ prefix })],
    );
    const row = rows[0]!;
    const version = Number(row.version);
    const done = new Promise<FloorSample>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        reject(new Error(`floor: version ${version} not delivered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending = {
        version,
        t0,
        marks: {},
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
    });
    // The payload the API publishes: eventId first, then the config:update contract.
    const payload = {
      eventId: randomUUID(),
      guildId: GUILD,
      settings: row.settings,
      version,
      timestamp: Date.now(),
    };
    await this.#pub.publish(this.#channel, JSON.stringify(payload));
    return done;
  }

  async stop(): Promise<void> {
    this.#client?.close();
    await this.#io.close().catch(() => {});
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}
