/**
 * What the scale benchmark reads from the Redis Cluster and the processes: per-node INFO
 * (commandstats, used_memory), CPU and RSS of every part, and the raw floor of the bus (a plain
 * `SPUBLISH` → `SSUBSCRIBE` round trip on the same cluster, same slot as the apps' bus).
 */
import { performance } from 'node:perf_hooks';
import type { RedisClusterHandle, RedisServerHandle } from '@wolaro/test-harness/node';
import { Cluster, Redis } from 'ioredis';
import { type BenchSystem, procCpuMs, procRssBytes } from '../system.js';

/** One `INFO` of a node: calls per command and `used_memory`, `undefined` when it does not answer. */
async function nodeInfo(port: number): Promise<{ calls: Map<string, number>; memory: number } | undefined> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const text = `${await client.info('commandstats')}\n${await client.info('memory')}`;
    const calls = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
    const memory = Number(/^used_memory:(\d+)/m.exec(text)?.[1] ?? Number.NaN);
    return { calls, memory };
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * `fn`, tried again (up to 5 times, 1 s apart) when it throws: the benchmark's own database
 * reads must survive a shared server that is briefly out of connections.
 */
export async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Cumulative counters of every part at one moment. */
export interface CostSample {
  at: number;
  apiCpu: number[];
  botCpu: number[];
  /** CPU ms of each Redis node, in {@link RedisClusterHandle.nodes} order. */
  redisCpu: number[];
  pgApi: number;
  pgBot: number;
  bench: number;
  /** Calls per command, summed over the nodes that are masters at the time of the sample. */
  masterCalls: Map<string, number>;
  /** Calls per command on the replicas (what replication applies). */
  replicaCalls: Map<string, number>;
  /** `used_memory` summed over the masters. */
  masterMemory: number;
  /** Updates committed so far: the sum of the benchmark guilds' versions in the database. */
  committed: number;
}

function addCalls(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

/** Samples {@link CostSample}s of the system on its cluster. */
export class CostMeter {
  constructor(
    readonly sys: BenchSystem,
    readonly cluster: RedisClusterHandle,
    readonly guildIds: readonly string[],
  ) {}

  async sample(): Promise<CostSample> {
    const masters = new Set<RedisServerHandle>(await this.cluster.masters());
    const infos = await Promise.all(
      this.cluster.nodes.map((n) => (n.running ? nodeInfo(n.port) : undefined)),
    );
    const masterCalls = new Map<string, number>();
    const replicaCalls = new Map<string, number>();
    let masterMemory = 0;
    this.cluster.nodes.forEach((n, i) => {
      const info = infos[i];
      if (!info) return;
      if (masters.has(n)) {
        addCalls(masterCalls, info.calls);
        masterMemory += info.memory;
      } else {
        addCalls(replicaCalls, info.calls);
      }
    });
    const cpu = await retried(() => this.sys.cpu.sample());
    const { rows } = await retried(() =>
      this.sys.pool.query<{ n: string | null }>(
        'SELECT sum(version)::text AS n FROM guilds WHERE guild_id = ANY($1::text[])',
        [this.guildIds],
      ),
    );
    return {
      at: performance.now(),
      apiCpu: this.sys.apis.map((a) => procCpuMs(a.child.pid)),
      botCpu: this.sys.bots.map((b) => procCpuMs(b.child.pid)),
      redisCpu: this.cluster.nodes.map((n) => procCpuMs(n.pid)),
      pgApi: cpu.pgApi,
      pgBot: cpu.pgBot,
      bench: cpu.bench,
      masterCalls,
      replicaCalls,
      masterMemory,
      committed: Number(rows[0]?.n ?? 0),
    };
  }
}

/** RSS in bytes of each API node and each bot process now. */
export function rssOf(sys: BenchSystem): { apis: number[]; bots: number[] } {
  return {
    apis: sys.apis.map((a) => procRssBytes(a.child.pid)),
    bots: sys.bots.map((b) => procRssBytes(b.child.pid)),
  };
}

/**
 * The raw floor of the bus on the cluster: a subscriber (`SSUBSCRIBE`, sharded) and a publisher
 * (`SPUBLISH`) in this process, on `{wolaro}` like the apps' channels, so on the same shard.
 */
export class BusFloor {
  readonly #pub: Cluster;
  readonly #sub: Cluster;
  readonly #channel = `{wolaro}bench-floor:${process.pid}`;
  #waiting: ((at: number) => void) | undefined;
  #probe: Promise<void> | undefined;
  #probing = false;
  /** Round trips of the last {@link BusFloor.startProbe} … {@link BusFloor.stopProbe}, ms. */
  probeSamples: number[] = [];

  constructor(cluster: RedisClusterHandle) {
    const nodes = [...cluster.startupNodes];
    this.#pub = new Cluster(nodes, { lazyConnect: true });
    this.#sub = new Cluster(nodes, { lazyConnect: true, shardedSubscribers: true });
    this.#pub.on('error', () => {});
    this.#sub.on('error', () => {});
    this.#sub.on('smessage', () => this.#waiting?.(performance.now()));
  }

  async start(): Promise<void> {
    await Promise.all([this.#pub.connect(), this.#sub.connect()]);
    await this.#sub.ssubscribe(this.#channel);
  }

  /** One SPUBLISH → smessage round trip, ms (`NaN` after 2 s). */
  async roundTrip(payload: string): Promise<number> {
    const t0 = performance.now();
    const arrived = new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(Number.NaN), 2000);
      this.#waiting = (at) => {
        clearTimeout(timer);
        resolve(at - t0);
      };
    });
    await this.#pub.spublish(this.#channel, payload).catch(() => 0);
    const ms = await arrived;
    this.#waiting = undefined;
    return ms;
  }

  /** `count` sequential round trips. */
  async sequential(count: number, payload: string): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(await this.roundTrip(payload));
    return out.filter(Number.isFinite);
  }

  /** A round trip every `everyMs` in the background (the floor under the same load). */
  startProbe(everyMs: number, payload: string): void {
    this.probeSamples = [];
    this.#probing = true;
    this.#probe = (async () => {
      while (this.#probing) {
        const ms = await this.roundTrip(payload);
        if (Number.isFinite(ms)) this.probeSamples.push(ms);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stopProbe(): Promise<number[]> {
    this.#probing = false;
    await this.#probe;
    return this.probeSamples;
  }

  close(): void {
    this.#pub.disconnect();
    this.#sub.disconnect();
  }
}

/** What one message costs the bus's Redis: per publish, and per extra subscriber it reaches. */
export interface FanoutCost {
  subscribers: number;
  messages: number;
  /** Redis CPU µs per `SPUBLISH` with one subscriber. */
  perPublishUs: number;
  /** Redis CPU µs per extra delivery (each further subscriber, each message). */
  perDeliveryUs: number;
}

/**
 * Redis CPU per message on the master of `channel`'s slot: `messages` pipelined `SPUBLISH`es to
 * one subscriber, then to `1 + subscribers`; the difference is what each further subscriber costs.
 */
export async function fanoutCost(
  master: RedisServerHandle,
  channel: string,
  subscribers: number,
  messages: number,
  payload: string,
): Promise<FanoutCost> {
  const connect = async () => {
    const c = new Redis({ host: '127.0.0.1', port: master.port, lazyConnect: true });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const pub = await connect();
  const subs: Redis[] = [];
  try {
    const round = async (): Promise<number> => {
      let pending = messages * subs.length;
      const done = new Promise<void>((resolve) => {
        for (const s of subs) {
          s.removeAllListeners('smessage');
          s.on('smessage', () => {
            if (--pending === 0) resolve();
          });
        }
      });
      const cpu0 = procCpuMs(master.pid);
      const batch = pub.pipeline();
      for (let i = 0; i < messages; i++) batch.spublish(channel, payload);
      await batch.exec();
      await done;
      return procCpuMs(master.pid) - cpu0;
    };
    subs.push(await connect());
    await subs[0]!.ssubscribe(channel);
    const one = await round();
    for (let i = 0; i < subscribers; i++) {
      const s = await connect();
      await s.ssubscribe(channel);
      subs.push(s);
    }
    const many = await round();
    return {
      subscribers,
      messages,
      perPublishUs: Math.round((one * 1000) / messages),
      perDeliveryUs: Math.round((((many - one) * 1000) / (messages * subscribers)) * 100) / 100,
    };
  } finally {
    for (const s of [pub, ...subs]) s.disconnect();
  }
}
