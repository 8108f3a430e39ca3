import {
  createTestSchema,
  type RedisClusterHandle,
  startRedisCluster,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GuildConfig, GuildConfigCache, SyncClient } from '../src/index.js';
import { migrate, OutboxRelay, versionedUpdate } from '../src/pg/index.js';

// Failover on a 3-master/3-replica cluster whose nodes give up on a silent master after 1 s.
let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
}, 60_000);
afterAll(() => cluster?.stop());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface GuildRow {
  guild_id: string;
  settings: Record<string, unknown>;
  version: number;
}

const GUILDS = Array.from({ length: 10 }, (_, i) => `90000000000000000${i}`);

/**
 * A subscriber that keeps the newest version it heard per guild, and counts its resyncs. On
 * `resync` it re-reads the versions from the database, as the SDK asks of every consumer: events
 * published while its subscription moved to the new master never reach it.
 */
async function consumer(keyPrefix: string, reread: () => Promise<Map<string, number>>) {
  const sync = new SyncClient({
    redis: { cluster: [...cluster.startupNodes] },
    keyPrefix,
    listen: ['config:update'],
  });
  cleanups.push(() => sync.close());
  const latest = new Map<string, number>();
  const resyncs: number[] = [];
  const resyncAt: number[] = [];
  const heard = (guildId: string, version: number) => {
    if (version > (latest.get(guildId) ?? 0)) latest.set(guildId, version);
  };
  sync.subscribe('config:update', (e) => heard(e.guildId, e.version ?? 0));
  sync.on('resync', ({ downtimeMs }) => {
    resyncs.push(downtimeMs);
    resyncAt.push(Date.now());
    void reread().then((versions) => {
      for (const [guildId, version] of versions) heard(guildId, version);
    });
  });
  await sync.connect();
  return { sync, latest, resyncs, resyncAt };
}

describe('Redis Cluster failover of the bus shard', () => {
  it('kill the master of the channels’ slot during 1,000 publishes: resubscribe, resync, every consumer at the latest version within 5 s', async () => {
    const db = await createTestSchema('cluster_failover', { max: 12 });
    cleanups.push(() => db.drop());
    await migrate(db.pool);
    await db.pool.query(
      `CREATE TABLE guilds (guild_id text PRIMARY KEY, settings jsonb NOT NULL DEFAULT '{}', version integer NOT NULL DEFAULT 0)`,
    );
    await db.pool.query('INSERT INTO guilds (guild_id) SELECT unnest($1::text[])', [GUILDS]);
    const keyPrefix = uniquePrefix('clf');
    const publisher = new SyncClient({
      redis: { cluster: [...cluster.startupNodes] },
      keyPrefix,
      listen: false,
    });
    cleanups.push(() => publisher.close());
    await publisher.connect();
    const relay = new OutboxRelay({
      pool: db.pool,
      sync: publisher,
      pollIntervalMs: 250,
      retryDelayMs: 100,
      maxRetryDelayMs: 500,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const versions = async () => {
      const { rows } = await db.pool.query<GuildRow>('SELECT guild_id, version FROM guilds');
      return new Map(rows.map((r) => [r.guild_id, r.version]));
    };
    const consumers = [await consumer(keyPrefix, versions), await consumer(keyPrefix, versions)];
    // A GuildConfigCache too: its resync revalidates every cached guild against the database.
    const configs = new GuildConfigCache({
      sync: consumers[0]!.sync,
      load: async (id): Promise<GuildConfig | null> => {
        const { rows } = await db.pool.query<GuildRow>('SELECT * FROM guilds WHERE guild_id = $1', [id]);
        return rows[0] ? { settings: rows[0].settings, modules: {}, version: rows[0].version } : null;
      },
      loadVersions: async (ids) => {
        const { rows } = await db.pool.query<GuildRow>(
          'SELECT guild_id, version FROM guilds WHERE guild_id = ANY($1)',
          [ids],
        );
        return new Map(rows.map((r) => [r.guild_id, r.version]));
      },
    });
    await configs.start();
    cleanups.push(() => configs.stop());
    for (const g of GUILDS) await configs.get(g);

    const owner = await cluster.masterOf('{wolaro}');
    let failedPublishes = 0;
    let n = 0;
    let killedAt = 0;
    // One writer per guild, 100 versioned updates each: 1,000 publishes; the owner dies at ~300.
    await Promise.all(
      GUILDS.map(async (id) => {
        for (let i = 0; i < 100; i++) {
          const k = n++;
          if (k === 300) {
            killedAt = Date.now();
            await cluster.kill(owner);
          }
          const { published } = await versionedUpdate<GuildRow>(db.pool, publisher, {
            table: 'guilds',
            idColumn: 'guild_id',
            id,
            set: { settings: { k } },
            event: (row) => ({
              channel: 'config:update',
              payload: { guildId: row.guild_id, settings: row.settings },
            }),
            relay,
          });
          if (!published) failedPublishes++;
        }
      }),
    );
    expect(owner.running).toBe(false);
    expect(failedPublishes).toBeGreaterThan(0); // the outage was real: some publishes had to wait for the relay
    await waitFor(() => consumers.every((c) => c.resyncs.length > 0), {
      timeoutMs: 30_000,
      message: 'resync on every consumer after the failover',
    });
    const promoted = await cluster.masterOf('{wolaro}');
    expect(promoted).not.toBe(owner);

    // After the resync (and the last write), within 5 s: every consumer holds each guild's latest version.
    const { rows } = await db.pool.query<GuildRow>('SELECT guild_id, version FROM guilds');
    expect(rows.every((r) => r.version === 100)).toBe(true);
    const started = Date.now();
    await waitFor(
      () =>
        consumers.every((c) => GUILDS.every((g) => c.latest.get(g) === 100)) &&
        GUILDS.every((g) => configs.peek(g)?.version === 100),
      { timeoutMs: 5000, intervalMs: 50, message: 'every consumer at version 100 of every guild' },
    );
    console.info(
      `[cluster failover] resync ${consumers.map((c) => (c.resyncAt[0] ?? 0) - killedAt).join('/')} ms after the kill (outage ${consumers.map((c) => c.resyncs[0]).join('/')} ms); ${failedPublishes} of 1000 publishes left to the relay; consumers at the latest version ${Date.now() - started} ms after the resync and the last write`,
    );
    const pending = await db.pool.query(
      'SELECT count(*)::int AS n FROM sync_outbox WHERE published_at IS NULL',
    );
    expect(pending.rows[0]).toEqual({ n: 0 });
  }, 90_000);
});
