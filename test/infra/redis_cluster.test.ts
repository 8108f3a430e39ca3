import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisServerMajorVersion, startRedisCluster, startRedisSentinel } from '../support/index.js';

describe('redis-server for Cluster and Sentinel', () => {
  it('is Redis 7 or later (sharded pub/sub)', async () => {
    expect(await redisServerMajorVersion()).toBeGreaterThanOrEqual(7);
  });
});

describe('startRedisCluster', () => {
  it('starts 3 masters + 3 replicas, serves every slot, and fails a killed master over', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    const client = new Cluster([...cluster.startupNodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => {});
    try {
      expect(cluster.nodes).toHaveLength(6);
      await client.set('{t}a', '1');
      expect(await client.get('{t}a')).toBe('1');
      expect(client.nodes('master')).toHaveLength(3);
      const owner = await cluster.masterOf('{t}a');
      const ownerClient = new Redis(owner.port, '127.0.0.1');
      expect(await ownerClient.wait(1, 15_000)).toBe(1); // the replica has the key
      ownerClient.disconnect();
      await cluster.kill(owner);
      expect(owner.running).toBe(false);
      await cluster.waitUntilOk(20_000);
      const promoted = await cluster.masterOf('{t}a');
      expect(promoted.port).not.toBe(owner.port);
      expect(promoted.running).toBe(true);
      expect(await client.get('{t}a')).toBe('1');
      await cluster.restart(owner);
      await cluster.waitUntilOk(20_000);
    } finally {
      client.disconnect();
      await cluster.stop();
    }
    expect(cluster.nodes.every((n) => !n.running)).toBe(true);
  }, 90_000);
});

describe('startRedisSentinel', () => {
  it('starts a master, a replica and 3 Sentinels, and promotes the replica when the master dies', async () => {
    const sentinel = await startRedisSentinel({ replicas: 1 });
    try {
      expect(sentinel.sentinels).toHaveLength(3);
      const first = await sentinel.master();
      expect(first).toBe(sentinel.servers[0]);
      const { killed, promoted } = await sentinel.killMaster();
      expect(killed).toBe(first);
      expect(promoted).toBe(sentinel.servers[1]);
      expect(await sentinel.master()).toBe(promoted);
    } finally {
      await sentinel.stop();
    }
    expect([...sentinel.servers].every((n) => !n.running)).toBe(true);
  }, 90_000);
});
