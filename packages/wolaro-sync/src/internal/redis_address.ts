import type { Cluster, Redis } from 'ioredis';

/** Where an ioredis client connects: `host:port`, a socket path, or the cluster's first node. */
export function redisAddress(client: Redis | Cluster): string {
  if (client.isCluster) {
    const nodes = (client as unknown as { startupNodes?: unknown[] }).startupNodes ?? [];
    const first = nodes[0];
    if (typeof first === 'string') return `cluster ${first}`;
    if (first && typeof first === 'object') {
      const { host = '127.0.0.1', port = 6379 } = first as { host?: string; port?: number };
      return `cluster ${host}:${port}`;
    }
    return 'cluster';
  }
  const { host, port, path } = (client as Redis).options as { host?: string; port?: number; path?: string };
  return path ? path : `${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
