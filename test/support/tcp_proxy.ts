import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with traffic:
 * - `pass`: forward bytes both ways (after the configured delay);
 * - `blackhole`: keep accepting and holding connections but silently drop every byte (and FIN) in both
 *   directions, like a network partition — clients see neither data nor a close. Unlike TCP after a real
 *   partition heals, dropped bytes are never retransmitted: a connection that carried traffic during the
 *   blackhole is out of step afterwards (e.g. ioredis matches replies to the wrong commands). To heal,
 *   call `setMode('pass')` and then `resetAll()` so clients reconnect, unless the client under test is
 *   expected to drop such connections itself;
 * - `reset`: abort every live connection with a TCP RST and reset new ones right after accepting them.
 */
export type ProxyMode = 'pass' | 'blackhole' | 'reset';

/** Options for {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Host to forward to (default `127.0.0.1`). */
  targetHost?: string;
  /** Port to forward to. */
  targetPort: number;
  /** Port to listen on, on 127.0.0.1 (default: any free port). */
  listenPort?: number;
}

/** A running TCP proxy; see {@link startTcpProxy}. */
export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Current mode. */
  readonly mode: ProxyMode;
  /** Current per-chunk delay in ms. */
  readonly delayMs: number;
  /**
   * A URL that goes through the proxy.
   * - `url('redis')` → `redis://127.0.0.1:<port>`
   * - `url('postgres://u@db:5432/x?options=...')` (anything containing `://`) → the same URL with its host
   *   and port replaced by the proxy's, keeping user, password, path and query.
   */
  url(schemeOrUrl: string): string;
  /** Switch mode; switching to `reset` also resets every live connection. */
  setMode(mode: ProxyMode): void;
  /** Delay every chunk by `ms` in both directions (0 = none). Chunk order is always preserved. */
  setDelay(ms: number): void;
  /** Abort every live connection with RST on both sides (the mode is unchanged). */
  resetAll(): void;
  /** Number of live client connections. */
  connections(): number;
  /** Stop listening and destroy every connection. */
  close(): Promise<void>;
}

interface Direction {
  queue: { chunk: Buffer; due: number }[];
  timer: NodeJS.Timeout | undefined;
  ended: boolean;
}

class Link {
  private readonly up: Direction = { queue: [], timer: undefined, ended: false };
  private readonly down: Direction = { queue: [], timer: undefined, ended: false };
  private closed = false;

  constructor(
    private readonly proxy: ProxyServer,
    readonly client: Socket,
    readonly upstream: Socket,
  ) {
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => {});
    }
    this.wire(client, upstream, this.up);
    this.wire(upstream, client, this.down);
  }

  private wire(from: Socket, to: Socket, dir: Direction): void {
    from.on('data', (chunk: Buffer) => {
      if (this.proxy.mode !== 'pass') return; // blackhole: drop silently
      dir.queue.push({ chunk, due: Date.now() + this.proxy.delayMs });
      this.pump(to, dir);
    });
    from.on('end', () => {
      dir.ended = true;
      this.pump(to, dir);
    });
    from.on('close', () => {
      // In blackhole mode the other side must not notice anything; it is cleaned up on mode change/close.
      if (this.proxy.mode !== 'blackhole') this.destroy();
    });
  }

  /** Sends queued chunks whose delay has elapsed, in order; propagates FIN once the queue is drained. */
  pump(to: Socket, dir: Direction): void {
    if (dir.timer || this.proxy.mode !== 'pass') return;
    for (;;) {
      const head = dir.queue[0];
      if (!head) break;
      const wait = head.due - Date.now();
      if (wait > 0) {
        dir.timer = setTimeout(() => {
          dir.timer = undefined;
          this.pump(to, dir);
        }, wait);
        return;
      }
      dir.queue.shift();
      if (!to.destroyed && to.writable) to.write(head.chunk);
    }
    if (dir.ended && !to.destroyed && to.writable) to.end();
  }

  /** Called when the mode changes back to `pass`: deliver what was deferred, close half-dead links. */
  resumeFlow(): void {
    if (this.client.destroyed || this.upstream.destroyed) {
      this.destroy();
      return;
    }
    this.pump(this.upstream, this.up);
    this.pump(this.client, this.down);
  }

  /** Drops chunks queued under the old mode (a partition loses in-flight bytes). */
  dropQueued(): void {
    for (const dir of [this.up, this.down]) {
      dir.queue.length = 0;
      if (dir.timer) clearTimeout(dir.timer);
      dir.timer = undefined;
    }
  }

  reset(): void {
    for (const socket of [this.client, this.upstream]) {
      if (socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropQueued();
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.links.delete(this);
  }
}

class ProxyServer implements TcpProxy {
  readonly links = new Set<Link>();
  mode: ProxyMode = 'pass';
  delayMs = 0;
  port = 0;
  private readonly server: Server;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (client) =>
      this.accept(client),
    );
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host: '127.0.0.1' }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('tcp proxy: no address');
    this.port = address.port;
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: this.targetHost, port: this.targetPort, allowHalfOpen: true });
    const link = new Link(this, client, upstream);
    this.links.add(link);
    upstream.once('error', () => {
      // Target down: in pass mode the client sees its connection closed; a blackhole keeps it hanging.
      if (this.mode !== 'blackhole') link.destroy();
    });
  }

  url(schemeOrUrl: string): string {
    if (!schemeOrUrl.includes('://')) return `${schemeOrUrl}://127.0.0.1:${this.port}`;
    const url = new URL(schemeOrUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  setMode(mode: ProxyMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'reset') {
      this.resetAll();
    } else if (mode === 'blackhole') {
      for (const link of this.links) link.dropQueued();
    } else if (previous !== 'pass') {
      for (const link of [...this.links]) link.resumeFlow();
    }
  }

  setDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`tcp proxy: invalid delay ${ms}`);
    this.delayMs = ms;
  }

  resetAll(): void {
    for (const link of [...this.links]) link.reset();
  }

  connections(): number {
    return this.links.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const link of [...this.links]) link.destroy();
    await closed;
  }
}

/**
 * Starts a small TCP proxy on 127.0.0.1 in front of a server (Redis, Postgres, ...) to simulate
 * latency, partitions and connection resets. Starts in `pass` mode with no delay.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ targetPort: 6379 });
 * afterAll(() => proxy.close());
 * const redis = new Redis(proxy.url('redis'));
 * proxy.setMode('blackhole'); // commands hang
 * proxy.setMode('reset');     // client sees ECONNRESET
 * ```
 * @param options - target host/port and optional listen port
 * @returns the running proxy
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const proxy = new ProxyServer(options.targetHost ?? '127.0.0.1', options.targetPort);
  await proxy.listen(options.listenPort ?? 0);
  return proxy;
}
