import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type RedisServerHandle, startRedisServer } from './redis_server.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** A `host:port` pair, as ioredis' `Cluster` and `sentinels` options take it. */
export interface HostPort {
  host: string;
  port: number;
}

/** Runs one command on a node with a short-lived connection (no retries, no offline queue). */
async function command(port: number, args: readonly string[], timeoutMs = 2000): Promise<unknown> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const [name, ...rest] = args as [string, ...string[]];
    return await redis.call(name, ...rest);
  } finally {
    redis.disconnect();
  }
}

/** The major version of the `redis-server` on PATH (sharded pub/sub needs 7 or later). */
export async function redisServerMajorVersion(): Promise<number> {
  const { stdout } = await run('redis-server', ['--version']);
  const match = /v=(\d+)\./.exec(stdout);
  if (!match) throw new Error(`cannot read the version of redis-server: ${stdout}`);
  return Number(match[1]);
}

async function requireRedis7(what: string): Promise<void> {
  const major = await redisServerMajorVersion();
  if (major < 7) throw new Error(`${what} needs redis-server 7 or later (sharded pub/sub), found ${major}`);
}

function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `wolaro-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters (default 3). */
  masters?: number;
  /** Replicas per master (default 1). */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in ms: how long until a silent master is failed over (default 1000). */
  nodeTimeoutMs?: number;
}

/** A Redis Cluster of private `redis-server` processes; see {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** Every node, masters and replicas, in start order (roles change after a failover). */
  readonly nodes: readonly RedisServerHandle[];
  /** Where a client starts: every node's `host:port`. */
  readonly startupNodes: readonly HostPort[];
  /** `REDIS_CLUSTER_NODES` for the reference apps: `127.0.0.1:p1,127.0.0.1:p2,...`. */
  readonly nodesEnv: string;
  /** The node that is master of `key`'s slot now (hash tags apply: `{tag}rest`). */
  masterOf(key: string): Promise<RedisServerHandle>;
  /** The nodes that are masters now. */
  masters(): Promise<RedisServerHandle[]>;
  /**
   * Moves `key`'s slot (and its keys) to the master `target`, as `redis-cli --cluster reshard`
   * does: `SETSLOT IMPORTING/MIGRATING`, `MIGRATE` of the keys, then `SETSLOT NODE` on every master.
   */
  migrateSlot(key: string, target: RedisServerHandle): Promise<void>;
  /** SIGKILLs a node (a crash); its replica is promoted after the node timeout. */
  kill(node: RedisServerHandle): Promise<void>;
  /** Starts a killed node again on its port; it rejoins (as a replica if it was failed over). */
  restart(node: RedisServerHandle): Promise<void>;
  /**
   * Resolves when every running node reports `cluster_state:ok` with all slots served by running
   * masters (after a kill: once the replica is promoted and every node knows it).
   */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes the temporary folder. */
  stop(): Promise<void>;
}

interface SlotRange {
  start: number;
  end: number;
  port: number;
}

async function slotRanges(ports: readonly number[]): Promise<SlotRange[]> {
  let lastError: unknown;
  for (const port of ports) {
    try {
      const slots = (await command(port, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
      return slots.map(([start, end, [, masterPort]]) => ({ start, end, port: Number(masterPort) }));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError ?? new Error('no running cluster node');
}

async function clusterOk(port: number, size: number): Promise<boolean> {
  const info = String(await command(port, ['CLUSTER', 'INFO']));
  return (
    info.includes('cluster_state:ok') &&
    info.includes('cluster_slots_ok:16384') &&
    info.includes(`cluster_known_nodes:${size}`)
  );
}

/**
 * Starts a Redis Cluster on loopback: `masters × (1 + replicasPerMaster)` `redis-server` processes
 * with `--cluster-enabled yes`, joined with `redis-cli --cluster create`, and waits until every
 * node reports the cluster ok. Each node is a {@link RedisServerHandle} (SIGKILLed if the test
 * process dies); `stop()` ends them all and deletes the node files.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
 * afterAll(() => cluster.stop());
 * const redis = new Cluster([...cluster.startupNodes]);
 * await cluster.kill(await cluster.masterOf('{wolaro}config:update')); // its replica takes over
 * await cluster.waitUntilOk();
 * ```
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  await requireRedis7('startRedisCluster');
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const temp = tempDir('cluster');
  const nodes: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push(
        await startRedisServer({
          args: [
            '--dir',
            temp.dir,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${i}.conf`,
            '--cluster-node-timeout',
            String(options.nodeTimeoutMs ?? 1000),
            // A replica may always take over, however long it was cut off (tests kill on purpose).
            '--cluster-replica-validity-factor',
            '0',
          ],
        }),
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    temp.remove();
    throw err;
  }
  const handle = clusterHandle(nodes, temp.remove);
  await handle.waitUntilOk(20_000);
  return handle;
}

function clusterHandle(nodes: RedisServerHandle[], removeTemp: () => void): RedisClusterHandle {
  const running = () => nodes.filter((n) => n.running).map((n) => n.port);
  const handle: RedisClusterHandle = {
    nodes,
    startupNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    nodesEnv: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    async masterOf(key) {
      const [first] = running();
      if (first === undefined) throw new Error('no running cluster node');
      const slot = Number(await command(first, ['CLUSTER', 'KEYSLOT', key]));
      const range = (await slotRanges(running())).find((r) => slot >= r.start && slot <= r.end);
      const node = nodes.find((n) => n.port === range?.port);
      if (!node) throw new Error(`no master serves slot ${slot} (key ${key})`);
      return node;
    },
    async masters() {
      const ports = new Set((await slotRanges(running())).map((r) => r.port));
      return nodes.filter((n) => ports.has(n.port));
    },
    async migrateSlot(key, target) {
      const source = await handle.masterOf(key);
      if (source === target) return;
      const slot = String(await command(source.port, ['CLUSTER', 'KEYSLOT', key]));
      const sourceId = String(await command(source.port, ['CLUSTER', 'MYID']));
      const targetId = String(await command(target.port, ['CLUSTER', 'MYID']));
      await command(target.port, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId]);
      await command(source.port, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId]);
      for (;;) {
        const keys = (await command(source.port, ['CLUSTER', 'GETKEYSINSLOT', slot, '100'])) as string[];
        if (keys.length === 0) break;
        await command(source.port, [
          'MIGRATE',
          '127.0.0.1',
          String(target.port),
          '',
          '0',
          '5000',
          'KEYS',
          ...keys,
        ]);
      }
      const others = (await handle.masters()).filter((m) => m !== source && m !== target);
      for (const node of [target, source, ...others]) {
        await command(node.port, ['CLUSTER', 'SETSLOT', slot, 'NODE', targetId]);
      }
      await waitFor(async () => (await handle.masterOf(key)) === target, {
        timeoutMs: 10_000,
        message: `slot ${slot} served by port ${target.port}`,
      });
    },
    kill: (node) => node.kill(),
    restart: (node) => node.restart(),
    async waitUntilOk(timeoutMs = 15_000) {
      await waitFor(
        async () => {
          const ports = running();
          const oks = await Promise.all(ports.map((p) => clusterOk(p, nodes.length)));
          if (!oks.every(Boolean)) return false;
          // Right after a kill the others still call the cluster ok: wait for a live master per slot.
          const views = await Promise.all(ports.map((p) => slotRanges([p])));
          if (!views.every((ranges) => ranges.every((r) => ports.includes(r.port)))) return false;
          // And every replica has finished its sync: a write acknowledged now survives a failover.
          const replication = await Promise.all(ports.map((p) => command(p, ['INFO', 'replication'])));
          return replication.every(
            (info) => !String(info).includes('role:slave') || String(info).includes('master_link_status:up'),
          );
        },
        {
          timeoutMs,
          intervalMs: 100,
          message: 'every running cluster node reports cluster_state:ok and every replica is in sync',
        },
      );
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      removeTemp();
    },
  };
  return handle;
}

/** Options for {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /** The monitored master's name (default `wolaro`). */
  name?: string;
  /** Replicas of the master (default 1). */
  replicas?: number;
  /** Sentinels (default 3; the quorum is a majority). */
  sentinels?: number;
  /** `down-after-milliseconds`: how long until a silent master is failed over (default 1000). */
  downAfterMs?: number;
}

/** A master, its replicas and the Sentinels watching them; see {@link startRedisSentinel}. */
export interface RedisSentinelHandle {
  /** The master name the Sentinels monitor (ioredis' `name`). */
  readonly name: string;
  /** The Sentinels (ioredis' `sentinels`). */
  readonly sentinels: readonly HostPort[];
  /** `REDIS_SENTINELS` for the reference apps: `127.0.0.1:p1,127.0.0.1:p2,...`. */
  readonly sentinelsEnv: string;
  /** The data nodes: the first master, then its replicas (roles change after a failover). */
  readonly servers: readonly RedisServerHandle[];
  /** The data node the Sentinels name as master now. */
  master(): Promise<RedisServerHandle>;
  /**
   * SIGKILLs the current master and resolves with it once the Sentinels have promoted another
   * node (`+switch-master`), which is returned as `promoted`.
   */
  killMaster(timeoutMs?: number): Promise<{ killed: RedisServerHandle; promoted: RedisServerHandle }>;
  /** Stops every process and removes the temporary folder. */
  stop(): Promise<void>;
}

async function replicaSynced(port: number): Promise<boolean> {
  const info = String(await command(port, ['INFO', 'replication']));
  return info.includes('master_link_status:up');
}

/**
 * Starts a Redis master with `replicas` replicas and `sentinels` Sentinels (`redis-server
 * <config> --sentinel`, each with a generated config in a temporary folder) on loopback, and waits
 * until the replicas are in sync and every Sentinel knows the master, its replicas and the other
 * Sentinels. `killMaster()` crashes the master and waits for the failover.
 *
 * @example
 * ```ts
 * const sentinel = await startRedisSentinel({ replicas: 1 });
 * afterAll(() => sentinel.stop());
 * const redis = new Redis({ sentinels: [...sentinel.sentinels], name: sentinel.name });
 * await sentinel.killMaster(); // a replica is master now; ioredis follows
 * ```
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelHandle> {
  const name = options.name ?? 'wolaro';
  const temp = tempDir('sentinel');
  const servers: RedisServerHandle[] = [];
  const sentinels: RedisServerHandle[] = [];
  const all = () => [...sentinels, ...servers];
  try {
    const master = await startRedisServer({ args: ['--dir', temp.dir] });
    servers.push(master);
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      servers.push(
        await startRedisServer({
          args: [
            '--dir',
            temp.dir,
            '--dbfilename',
            `replica-${i}.rdb`,
            '--replicaof',
            '127.0.0.1',
            String(master.port),
          ],
        }),
      );
    }
    await waitFor(
      async () => (await Promise.all(servers.slice(1).map((s) => replicaSynced(s.port)))).every(Boolean),
      {
        timeoutMs: 15_000,
        message: 'replicas in sync with the master',
      },
    );
    const count = options.sentinels ?? 3;
    for (let i = 0; i < count; i++) {
      const file = join(temp.dir, `sentinel-${i}.conf`);
      writeFileSync(
        file,
        [
          `sentinel monitor ${name} 127.0.0.1 ${master.port} ${Math.floor(count / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(await startRedisServer({ configFile: file, args: ['--dir', temp.dir, '--sentinel'] }));
    }
    await waitFor(
      async () => {
        const views = await Promise.all(
          sentinels.map((s) => command(s.port, ['SENTINEL', 'MASTER', name]) as Promise<string[]>),
        );
        return views.every((flat) => {
          const info = new Map<string, string>();
          for (let i = 0; i + 1 < flat.length; i += 2) info.set(flat[i]!, flat[i + 1]!);
          return (
            Number(info.get('num-slaves')) === servers.length - 1 &&
            Number(info.get('num-other-sentinels')) === count - 1
          );
        });
      },
      {
        timeoutMs: 20_000,
        intervalMs: 100,
        message: 'every Sentinel knows the replicas and the other Sentinels',
      },
    );
  } catch (err) {
    await Promise.all(all().map((n) => n.kill()));
    temp.remove();
    throw err;
  }
  return sentinelHandle(name, servers, sentinels, temp.remove);
}

function sentinelHandle(
  name: string,
  servers: RedisServerHandle[],
  sentinels: RedisServerHandle[],
  removeTemp: () => void,
): RedisSentinelHandle {
  const masterPort = async (): Promise<number> => {
    let lastError: unknown;
    for (const s of sentinels.filter((x) => x.running)) {
      try {
        const [, port] = (await command(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name])) as [
          string,
          string,
        ];
        return Number(port);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? new Error('no running Sentinel');
  };
  const byPort = (port: number): RedisServerHandle => {
    const server = servers.find((s) => s.port === port);
    if (!server) throw new Error(`the Sentinels name an unknown master on port ${port}`);
    return server;
  };
  return {
    name,
    sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    sentinelsEnv: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    servers,
    master: async () => byPort(await masterPort()),
    async killMaster(timeoutMs = 20_000) {
      const killed = byPort(await masterPort());
      await killed.kill();
      const promoted = await waitFor(
        async () => {
          const port = await masterPort();
          return port !== killed.port && ((await command(port, ['ROLE'])) as string[])[0] === 'master'
            ? byPort(port)
            : undefined;
        },
        { timeoutMs, intervalMs: 100, message: `the Sentinels promote a replica of ${name}` },
      );
      return { killed, promoted };
    },
    async stop() {
      await Promise.all([...sentinels, ...servers].map((n) => n.stop()));
      removeTemp();
    },
  };
}
