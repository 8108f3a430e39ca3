import { uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisTransport, SyncClient } from '../src/index.js';
import { closeAfterEach } from './closing.js';
import { clusterForFile } from './cluster_fixture.js';
import { listening, transportContract } from './contract.js';

// One 3-master/3-replica cluster for the whole file.
const track = closeAfterEach();
const { cluster, nodes, rawCluster } = clusterForFile({ masters: 3, replicasPerMaster: 1 }, track);

transportContract({
  name: 'redis-cluster',
  create: () => new RedisTransport({ redis: { cluster: nodes() } }),
});

describe('SyncClient over a Redis Cluster', () => {
  it('publishes with SPUBLISH on {wolaro}-tagged channels that all hash to one slot', async () => {
    const keyPrefix = uniquePrefix('cl');
    const sync = track(new SyncClient({ redis: { cluster: nodes() }, keyPrefix }));
    await sync.connect();
    const raw = rawCluster();
    const wire = Object.keys(sync.channels).map((c) => `{wolaro}${keyPrefix}${c}`);
    const slots = await Promise.all(wire.map((w) => raw.cluster('KEYSLOT', w)));
    expect(new Set(slots).size).toBe(1);
    // A plain SSUBSCRIBE on the owner of that slot hears what the client publishes.
    const owner = await cluster().masterOf('{wolaro}');
    const listener = new Cluster([{ host: '127.0.0.1', port: owner.port }], { shardedSubscribers: true });
    listener.on('error', () => {});
    track({ close: () => listener.disconnect() });
    const heard: string[] = [];
    listener.on('smessage', (channel: string) => heard.push(channel));
    await listener.ssubscribe(`{wolaro}${keyPrefix}guild:reload`);
    await sync.publishGuildReload({ guildId: '1' });
    await waitFor(() => heard.length === 1);
    expect(heard).toEqual([`{wolaro}${keyPrefix}guild:reload`]);
  });

  it('uses a Cluster you pass and leaves it open on close()', async () => {
    const keyPrefix = uniquePrefix('cl');
    const shared = new Cluster(nodes(), { lazyConnect: true });
    shared.on('error', () => {});
    track({ close: () => shared.disconnect() });
    const a = new SyncClient({ redis: shared, keyPrefix });
    const b = track(new SyncClient({ redis: { cluster: nodes() }, keyPrefix }));
    await Promise.all([a.connect(), b.connect()]);
    const got: number[] = [];
    b.subscribe('config:update', (e) => void got.push(e.version ?? 0));
    await a.publishConfigUpdate({ guildId: '1', settings: {}, version: 3 });
    await waitFor(() => got.length === 1);
    await a.close();
    expect(await shared.ping()).toBe('PONG');
  });

  it('refuses a cluster definition without startup nodes, naming the field', () => {
    expect(() => new RedisTransport({ redis: { cluster: [] } })).toThrow(
      /redis\.cluster: must list at least one/,
    );
    expect(() => new RedisTransport({ redis: { cluster: ['nope'] } })).toThrow(/redis\.cluster\.0/);
    expect(() => new RedisTransport({ redis: { cluster: nodes() }, channelHashTag: '{x}' })).toThrow(
      /channelHashTag: must be 1-64 characters/,
    );
  });

  it('follows its slot when it migrates to another master: resubscribes there and emits resync', async () => {
    const keyPrefix = uniquePrefix('cl');
    const tag = `mig-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    const transport = () => new RedisTransport({ redis: { cluster: nodes() }, channelHashTag: tag });
    const a = track(new SyncClient({ transport: transport(), keyPrefix }));
    const b = track(new SyncClient({ transport: transport(), keyPrefix }));
    await Promise.all([a.connect(), b.connect()]);
    const { got, resyncs } = await listening(a, b);

    const from = await cluster().masterOf(`{${tag}}`);
    const to = (await cluster().masters()).find((m) => m !== from)!;
    await cluster().migrateSlot(`{${tag}}`, to);
    await waitFor(() => resyncs.length === 1, { timeoutMs: 10_000, message: 'resync after the migration' });

    // Published after the move, through the other client's own view of the slot map.
    await waitFor(
      async () => {
        await a.publishConfigUpdate({ guildId: '1', settings: {}, version: got.length + 1 }).catch(() => {});
        return got.includes(2);
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(got.slice(0, 2)).toEqual([1, 2]);
  }, 30_000);
});
