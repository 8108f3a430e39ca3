/**
 * The raw floor of one config change for bench:e2e, in processes of its own as the system's parts
 * run in theirs (./floor_server.ts), with the same payloads as the system:
 * - the floor server: `PATCH` over HTTP → a durable single-statement `UPDATE` of a table shaped like
 *   `guilds` (pg, default synchronous commit) → ioredis `PUBLISH` → 200; its raw ioredis
 *   subscriber's `message` → `io.to(room).emit('config:updated')` → a socket.io-client here;
 * - the floor reloader, the bot's side: a raw subscriber that runs the bot's reload query (the
 *   `loadGuildConfig` SELECT) and prints a line, stamped when it arrives on the pipe here (as the
 *   bot's log line is).
 *
 * No JWT, no session or permission checks, no revision or outbox rows, no validation: what any
 * implementation of "write it durably, then tell everyone" has to pay on this machine. Each process's
 * CPU and its Postgres backends' are read from /proc, as the panel API's and the bot's are.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Socket } from 'socket.io-client';
import { io as connect } from 'socket.io-client';
import { Client } from 'undici';
import { Arrivals } from './arrivals.js';
import { FLOOR_APP_NAMES, type FloorServer, startFloorProcesses } from './floor_server.js';
import { BackendCpu, procCpuMs } from './system.js';

/** One floor sample: ms from sending the `PATCH`. */
export interface FloorSample {
  /** The floor server's 200 (UPDATE committed, PUBLISH answered). */
  http: number;
  /** The socket.io-client got `config:updated` with that version. */
  socket: number;
  /** The reloader's reload query answered (its line on the pipe): the bot path's floor. */
  reload: number;
}

/** CPU ms used so far by the floor's parts. */
export interface FloorCpu {
  /** The floor server process. */
  server: number;
  /** Its Postgres backends. */
  pgServer: number;
  /** The reloader process. */
  reload: number;
  /** Its Postgres backends. */
  pgReload: number;
}

/** The floor server and reloader of one bench run, driven one change at a time. */
export class RawFloor {
  readonly #sockets = new Arrivals<number>();
  readonly #reloads = new Arrivals<number>();
  readonly #backends: BackendCpu<'pgServer' | 'pgReload'>;
  #seq = 0;

  private constructor(
    readonly server: FloorServer,
    readonly reloader: FloorServer,
    readonly guildId: string,
    readonly http: Client,
    readonly socket: Socket,
    pool: pg.Pool,
  ) {
    this.#backends = new BackendCpu(pool, {
      pgServer: FLOOR_APP_NAMES.serve,
      pgReload: FLOOR_APP_NAMES.reload,
    });
    socket.on('config:updated', (e: { guildId: string; version?: number }) => {
      if (e.guildId === guildId && typeof e.version === 'number') this.#sockets.record(e.version);
    });
    reloader.process.logs.onLine((line) => {
      const m = /^floor reloaded (\d+) (\d+)$/.exec(line.text);
      if (m && m[1] === guildId) this.#reloads.record(Number(m[2]), line.at);
    });
  }

  /**
   * Starts the floor server and reloader on the schema of `connectionString` (the floor's copy of
   * `guildId` is the one changed) and connects a socket to the guild's room.
   */
  static async start(options: {
    connectionString: string;
    redisUrl: string;
    keyPrefix: string;
    guildId: string;
    /** For the `application_name`s of the floor's backends in pg_stat_activity. */
    pool: pg.Pool;
  }): Promise<RawFloor> {
    const { server, reloader } = await startFloorProcesses(options);
    const socket = connect(server.url, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const ack = (await socket.timeout(15_000).emitWithAck('join:guild', options.guildId)) as { ok?: boolean };
    if (ack.ok !== true) throw new Error(`floor join:guild refused: ${JSON.stringify(ack)}`);
    const http = new Client(server.url, { pipelining: 1, keepAliveTimeout: 60_000 });
    return new RawFloor(server, reloader, options.guildId, http, socket, options.pool);
  }

  /** One change: resolves when both the socket and the reload have it (rejects after `timeoutMs`). */
  async once(timeoutMs = 5000): Promise<FloorSample> {
    const prefix = `f${(this.#seq++ % 10_000).toString()}`;
    const t0 = performance.now();
    const res = await this.http.request({
      path: `/api/panel/guilds/${this.guildId}`,
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ settings: { prefix } }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const json = (await res.body.json()) as { version?: number };
    const tHttp = performance.now();
    if (res.statusCode !== 200 || typeof json.version !== 'number') {
      throw new Error(`floor PATCH → ${res.statusCode} ${JSON.stringify(json)}`);
    }
    const version = json.version;
    const [socket, reload] = await Promise.all([
      this.#sockets.wait(version, timeoutMs),
      this.#reloads.wait(version, timeoutMs),
    ]);
    if (socket === undefined || reload === undefined) {
      throw new Error(
        `floor: version ${version}: socket ${socket === undefined ? 'missing' : 'ok'}, reload ${reload === undefined ? 'missing' : 'ok'}\n${this.reloader.process.logs.tail(5)}`,
      );
    }
    return { http: tHttp - t0, socket: socket - t0, reload: reload - t0 };
  }

  /** CPU ms used so far by the floor's processes and their Postgres backends. */
  async cpu(): Promise<FloorCpu> {
    const backends = await this.#backends.sample();
    return {
      server: procCpuMs(this.server.process.child.pid),
      reload: procCpuMs(this.reloader.process.child.pid),
      ...backends,
    };
  }

  async stop(): Promise<void> {
    this.socket.close();
    await this.http.close().catch(() => {});
    await Promise.all([this.server.stop(), this.reloader.stop()]);
  }
}
