/**
 * Panel sockets as the React panel runs them (examples/panel-web): socket.io-client over websocket
 * with the JWT in `auth`, `join:guild`, then the guild loaded over HTTP on every (re)connection and
 * on `guild:reload`, `config:updated` applied when newer. What a balancer adds: when the connection
 * drops, the next attempt goes to the next API node (backoff 250 ms doubling to 2 s).
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ApiClient } from './http.js';
import { Timeline } from './timeline.js';

interface GuildDetail {
  version: number;
  settings: unknown;
}

/** One panel socket of one guild. */
export class PanelClient {
  readonly timeline = new Timeline();
  /** Connections made (the first included). */
  connects = 0;
  /** Loads of the guild that failed (the panel shows an error and waits for the next event). */
  failedLoads = 0;
  #socket: Socket | undefined;
  #node: number;
  #attempt = 0;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    readonly http: ApiClient,
    readonly token: string,
    readonly guildId: string,
    node: number,
  ) {
    this.#node = node;
  }

  /** The node the socket is (or was last) connected to. */
  get node(): number {
    return this.#node;
  }

  /** Connects and joins; rejects when the first connection fails (start-up only). */
  open(timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`panel socket: no join within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#connect(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #connect(onJoined?: () => void): void {
    if (this.#closed) return;
    const socket = io(this.http.urls[this.#node]!, {
      auth: { token: this.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    this.#socket = socket;
    socket.on('connect', () => {
      this.connects++;
      this.#attempt = 0;
      socket
        .timeout(5000)
        .emitWithAck('join:guild', this.guildId)
        .then((ack: { ok?: boolean }) => {
          if (ack?.ok !== true) throw new Error('join refused');
          onJoined?.();
          return this.load();
        })
        .catch(() => socket.disconnect());
    });
    socket.on('config:updated', (e: { guildId?: string; version?: number; settings?: unknown }) => {
      if (e.guildId !== this.guildId) return;
      if (typeof e.version !== 'number') {
        void this.load();
        return;
      }
      this.timeline.reach(e.version, performance.now(), e.settings);
    });
    socket.on('guild:reload', (e: { guildId?: string }) => {
      if (e.guildId === this.guildId) void this.load();
    });
    socket.on('disconnect', () => this.#again(socket));
    socket.on('connect_error', () => this.#again(socket));
  }

  #again(socket: Socket): void {
    socket.removeAllListeners();
    socket.close();
    if (this.#closed || this.#socket !== socket) return;
    this.#socket = undefined;
    const delay = Math.min(2000, 250 * 2 ** this.#attempt) * (0.75 + Math.random() * 0.5);
    this.#attempt++;
    this.#node = (this.#node + 1) % this.http.urls.length;
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  /** GET the guild from the socket's node and show it when it is not older than what is shown. */
  async load(): Promise<void> {
    const res = await this.http.request(this.#node, 'GET', `/api/panel/guilds/${this.guildId}`, this.token);
    const o = res.outcome;
    if (o.kind !== 'status' || o.status !== 200) {
      this.failedLoads++;
      return;
    }
    const detail = o.body as GuildDetail;
    this.timeline.reach(detail.version, res.doneAt, detail.settings);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#socket?.removeAllListeners();
    this.#socket?.close();
  }
}
