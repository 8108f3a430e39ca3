import { startedForFile, startRedisCluster } from '@wolaro/test-harness';
import { Cluster } from 'ioredis';
import type { Closable } from './closing.js';

/**
 * One Redis Cluster of `shape` for the whole calling file: the cluster, its startup nodes, and
 * `rawCluster()`, a plain ioredis client onto it that `track` closes after the test.
 */
export function clusterForFile(
  shape: Parameters<typeof startRedisCluster>[0],
  track: <T extends Closable>(c: T) => T,
) {
  const cluster = startedForFile(() => startRedisCluster(shape), 60_000);
  const nodes = () => [...cluster().startupNodes];
  const rawCluster = (): Cluster => {
    const raw = new Cluster(nodes());
    raw.on('error', () => {});
    track({ close: () => raw.disconnect() });
    return raw;
  };
  return { cluster, nodes, rawCluster };
}
