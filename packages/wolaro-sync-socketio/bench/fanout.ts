/**
 * bench:fanout — one event to every socket of one guild room, over the full path
 * SyncClient.publish → Redis → gateway (child process) → socket.io-client, beside a raw
 * `io.to(room).emit` in the same server process (no Redis, no SyncClient), in the same run.
 *
 *   npm run bench:fanout -w packages/wolaro-sync-socketio
 *   SIZES=1000,5000 EVENTS=200 SUSTAIN_MS=3000 REDIS_URL=redis://127.0.0.1:6379
 *
 * - latency: time from publish (or the raw emit request) until the LAST socket has the event;
 *   events one at a time, raw and full path interleaved, p50/p99 over EVENTS of each;
 * - deliveries/s: events sent back-to-back for SUSTAIN_MS with WINDOW events in flight (an event
 *   leaves the window when every socket has it), deliveries = events × sockets; ROUNDS rounds
 *   alternating raw/full, medians, and the median of the paired full/raw ratios;
 * - memory per socket: the server process's heap and RSS after GC, connected minus idle, / sockets;
 * - busy: event-loop utilization of the server process and of this (client) process during the
 *   sustained rounds, to show which side limits the numbers.
 *
 * Clients all live in this process (websocket transport only); the server is a child process, so
 * the two share the machine's cores as a browser fleet and a server would not.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SyncClient } from '@wolaro/sync';
import { machine, median, percentile, sorted, writeResults } from '@wolaro/test-harness/report';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, GatewayStats, ServerToClientEvents } from '../src/index.js';
import type { ServerRequest } from './fanout_server.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env['SIZES'] ?? '1000,5000').split(',').map(Number);
const EVENTS = Number(process.env['EVENTS'] ?? 200);
const SUSTAIN_MS = Number(process.env['SUSTAIN_MS'] ?? 1500);
const WINDOW = Number(process.env['WINDOW'] ?? 8);
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const SECRET = randomBytes(32).toString('hex');
const GUILD = '123456789012345678';
const settings = { prefix: '!', language: 'fr', modules: { moderation: true, welcome: false } };

/** One line of the results. */
interface Row {
  sockets: number;
  connectSeconds: number;
  raw: { p50Ms: number; p99Ms: number; deliveriesPerSecond: number };
  full: { p50Ms: number; p99Ms: number; deliveriesPerSecond: number };
  fullVsRaw: number;
  rounds: { raw: number[]; full: number[] };
  /** Event-loop utilization (0..1) of the server and of the client process during the sustained rounds. */
  busy: { rawServer: number; rawClients: number; fullServer: number; fullClients: number };
  serverHeapPerSocketKb: number;
  serverRssPerSocketKb: number;
}

/** `Omit<T, 'id'>` applied to each member of a union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
type Path = 'raw' | 'full';

class ServerProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (data: unknown) => void>();
  #next = 1;

  constructor() {
    const entry = fileURLToPath(new URL('./fanout_server.ts', import.meta.url));
    this.#child = fork(entry, { execArgv: [...process.execArgv, '--expose-gc'], stdio: 'inherit' });
    this.#child.on('message', (msg: { id: number; data: unknown }) => {
      this.#waiting.get(msg.id)?.(msg.data);
      this.#waiting.delete(msg.id);
    });
    this.#child.on('exit', (code, signal) => {
      if (this.#waiting.size === 0) return; // stopped on request
      console.error(`bench server exited (code ${code}, signal ${signal}) with requests pending`);
      process.exit(1);
    });
  }

  up(): Promise<unknown> {
    return new Promise((resolve) => this.#waiting.set(0, resolve));
  }

  request<T>(msg: WithoutId<Exclude<ServerRequest, { type: 'raw' }>>): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve as (data: unknown) => void);
      this.#child.send({ ...msg, id });
    });
  }

  raw(seq: number): void {
    this.#child.send({ type: 'raw', seq, settings: { ...settings, seq } } satisfies ServerRequest);
  }
}

/** Tracks, per event, how many sockets still have to receive it. */
class Deliveries {
  readonly #pending = new Map<number, { remaining: number; t0: number; resolve: (ms: number) => void }>();
  delivered = 0;

  constructor(readonly sockets: number) {}

  expect(seq: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const left = this.#pending.get(seq)?.remaining;
        reject(new Error(`event ${seq} still missing on ${left} of ${this.sockets} sockets after 30 s`));
      }, 30_000);
      this.#pending.set(seq, {
        remaining: this.sockets,
        t0: performance.now(),
        resolve: (ms) => {
          clearTimeout(timer);
          resolve(ms);
        },
      });
    });
  }

  /** Called by every client on every event. */
  readonly onEvent = (seq: number): void => {
    this.delivered++;
    const p = this.#pending.get(seq);
    if (p && --p.remaining === 0) {
      this.#pending.delete(seq);
      p.resolve(performance.now() - p.t0);
    }
  };
}

async function connectAll(port: number, n: number, deliveries: Deliveries): Promise<Client[]> {
  const clients: Client[] = [];
  const BATCH = 250;
  for (let start = 0; start < n; start += BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, n - start) }, async (_, i) => {
        const userId = String(100_000_000_000_000_000n + BigInt(start + i));
        const token = await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(userId)
          .setExpirationTime('2h')
          .sign(new TextEncoder().encode(SECRET));
        const socket: Client = io(`http://127.0.0.1:${port}`, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          auth: { token },
        });
        socket.on('config:updated', (e) => deliveries.onEvent(e.version ?? -1));
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('connect_error', reject);
        });
        return socket;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

async function main(): Promise<void> {
  process.on('beforeExit', () => {
    console.error('bench: event loop drained before the end (a lost promise)');
    process.exit(1);
  });
  const results: Row[] = [];
  for (const n of SIZES) {
    const server = new ServerProcess();
    await server.up();
    const keyPrefix = `bench:${randomBytes(4).toString('hex')}:`;
    const { port } = await server.request<{ port: number }>({
      type: 'start',
      redisUrl: REDIS_URL,
      keyPrefix,
      secret: SECRET,
      guildId: GUILD,
    });
    const publisher = new SyncClient({ redis: REDIS_URL, keyPrefix, listen: false });
    await publisher.connect();
    const idle = await server.request<{ heapUsed: number; rss: number }>({ type: 'mem' });
    const deliveries = new Deliveries(n);
    const tConnect = performance.now();
    const clients = await connectAll(port, n, deliveries);
    const connectMs = performance.now() - tConnect;
    const stats = await server.request<GatewayStats>({ type: 'stats' });
    if (stats.totalConnections !== n || stats.rooms !== 1)
      throw new Error(`unexpected stats ${JSON.stringify(stats)}`);
    const loaded = await server.request<{ heapUsed: number; rss: number }>({ type: 'mem' });

    let seq = 0;
    const send = (path: Path): Promise<number> => {
      const s = ++seq;
      const done = deliveries.expect(s);
      if (path === 'raw') server.raw(s);
      else void publisher.publishConfigUpdate(GUILD, { ...settings, seq: s }, s);
      return done;
    };

    for (let i = 0; i < 20; i++) {
      await send('raw');
      await send('full');
    }
    const latency: Record<Path, number[]> = { raw: [], full: [] };
    for (let i = 0; i < EVENTS; i++) {
      for (const path of (i % 2 === 0 ? ['raw', 'full'] : ['full', 'raw']) as Path[]) {
        latency[path].push(await send(path));
      }
    }

    const sustained = async (path: Path): Promise<number> => {
      const before = deliveries.delivered;
      const t0 = performance.now();
      let last = t0;
      const lane = async () => {
        while (performance.now() - t0 < SUSTAIN_MS) {
          await send(path);
          last = performance.now();
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, lane));
      return (deliveries.delivered - before) / ((last - t0) / 1000);
    };
    const rate: Record<Path, number[]> = { raw: [], full: [] };
    const busy = {
      rawServer: [] as number[],
      rawClients: [] as number[],
      fullServer: [] as number[],
      fullClients: [] as number[],
    };
    const measured = async (path: Path) => {
      await server.request({ type: 'elu' });
      const clientElu = performance.eventLoopUtilization();
      rate[path].push(await sustained(path));
      busy[`${path}Server`].push(await server.request<number>({ type: 'elu' }));
      busy[`${path}Clients`].push(performance.eventLoopUtilization(clientElu).utilization);
    };
    for (let round = 0; round < ROUNDS; round++) {
      await measured('raw');
      await measured('full');
    }
    // Paired ratios: each full round is compared with the raw round just before it, so load from
    // elsewhere on a shared machine shifts both sides of a pair alike.
    const ratios = rate.full.map((f, i) => f / rate.raw[i]!);

    const row: Row = {
      sockets: n,
      connectSeconds: +(connectMs / 1000).toFixed(2),
      raw: {
        p50Ms: +median(latency.raw).toFixed(2),
        p99Ms: +percentile(sorted(latency.raw), 99).toFixed(2),
        deliveriesPerSecond: Math.round(median(rate.raw)),
      },
      full: {
        p50Ms: +median(latency.full).toFixed(2),
        p99Ms: +percentile(sorted(latency.full), 99).toFixed(2),
        deliveriesPerSecond: Math.round(median(rate.full)),
      },
      fullVsRaw: +median(ratios).toFixed(3),
      rounds: { raw: rate.raw.map(Math.round), full: rate.full.map(Math.round) },
      busy: {
        rawServer: +median(busy.rawServer).toFixed(2),
        rawClients: +median(busy.rawClients).toFixed(2),
        fullServer: +median(busy.fullServer).toFixed(2),
        fullClients: +median(busy.fullClients).toFixed(2),
      },
      serverHeapPerSocketKb: +((loaded.heapUsed - idle.heapUsed) / n / 1024).toFixed(1),
      serverRssPerSocketKb: +((loaded.rss - idle.rss) / n / 1024).toFixed(1),
    };
    results.push(row);
    console.error(JSON.stringify(row));

    for (const c of clients) c.disconnect();
    await publisher.close();
    await server.request({ type: 'stop' });
  }

  const load = loadavg()[0]!.toFixed(1);
  const lines = [
    '| sockets | path | p50 (ms) | p99 (ms) | deliveries/s | full/raw | busy: server / clients | server heap/socket | server RSS/socket |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const fmt = (x: number) => x.toLocaleString('en-US');
    const pct = (x: number) => `${Math.round(x * 100)} %`;
    lines.push(
      `| ${fmt(r.sockets)} | raw \`io.to(room).emit\` | ${r.raw.p50Ms} | ${r.raw.p99Ms} | ${fmt(r.raw.deliveriesPerSecond)} | | ${pct(r.busy.rawServer)} / ${pct(r.busy.rawClients)} | | |`,
      `| ${fmt(r.sockets)} | publish → Redis → gateway | ${r.full.p50Ms} | ${r.full.p99Ms} | ${fmt(r.full.deliveriesPerSecond)} | ${r.fullVsRaw} | ${pct(r.busy.fullServer)} / ${pct(r.busy.fullClients)} | ${r.serverHeapPerSocketKb} KB | ${r.serverRssPerSocketKb} KB |`,
    );
  }
  const table = lines.join('\n');
  console.log(table);
  writeResults('fanout', {
    bench: 'fanout',
    date: new Date().toISOString(),
    machine: machine(),
    params: {
      events: EVENTS,
      sustainMs: SUSTAIN_MS,
      window: WINDOW,
      rounds: ROUNDS,
      transport: 'websocket',
    },
    targets: { p99MsAt1000: 50, fullVsRawAtLeast: 0.8 },
    loadAverageAtEnd: Number(load),
    results,
    table,
  });
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
