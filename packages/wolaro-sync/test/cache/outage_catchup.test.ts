import {
  createTestSchema,
  type RedisServerHandle,
  type TestSchema,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GuildConfig,
  GuildConfigCache,
  PublishFailedError,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
} from '../../src/index.js';
import { defer, privateRedis, useCleanup } from './helpers.js';

useCleanup();

let db: TestSchema;
beforeAll(async () => {
  db = await createTestSchema('cache_catchup');
  await db.pool.query(
    'create table guilds (guild_id text primary key, settings jsonb not null, version bigint not null)',
  );
});
afterAll(() => db.drop());

async function loadGuild(pool: pg.Pool, guildId: string): Promise<GuildConfig | null> {
  const { rows } = await pool.query<{ settings: Record<string, unknown>; version: string }>(
    'select settings, version from guilds where guild_id = $1',
    [guildId],
  );
  const row = rows[0];
  return row ? { settings: row.settings, modules: {}, version: Number(row.version) } : null;
}

async function loadVersions(pool: pg.Pool, ids: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ guild_id: string; version: string }>(
    'select guild_id, version from guilds where guild_id = any($1)',
    [ids],
  );
  return new Map(rows.map((r) => [r.guild_id, Number(r.version)]));
}

/** One bot process: its own bus connection, L2 manager and GuildConfigCache over the private Redis. */
async function botProcess(server: RedisServerHandle, keyPrefix: string) {
  const sync = new SyncClient({
    transport: new RedisTransport({ redis: server.url, heartbeatIntervalMs: 100, commandTimeoutMs: 200 }),
    keyPrefix,
  });
  const cache = new RedisFallbackManager({ redis: server.url, keyPrefix, healthCheckIntervalMs: 200 });
  const configs = new GuildConfigCache({
    sync,
    cache,
    load: (id) => loadGuild(db.pool, id),
    loadVersions: (ids) => loadVersions(db.pool, ids),
  });
  await configs.start();
  await Promise.all([sync.connect(), cache.ready()]);
  defer(async () => {
    configs.stop();
    await Promise.all([sync.close(), cache.close()]);
  });
  let disconnected = 0;
  sync.on('disconnected', () => disconnected++);
  return { sync, configs, disconnects: () => disconnected };
}

async function setGuild(guildId: string, version: number, prefix: string): Promise<void> {
  await db.pool.query(
    `insert into guilds (guild_id, settings, version) values ($1, $2, $3)
     on conflict (guild_id) do update set settings = excluded.settings, version = excluded.version`,
    [guildId, { prefix }, version],
  );
}

const outages: [string, (s: RedisServerHandle) => Promise<void>, (s: RedisServerHandle) => Promise<void>][] =
  [
    ['killed and restarted (empty)', (s) => s.kill(), (s) => s.restart()],
    ['hung and resumed (L2 keeps the old configs)', (s) => s.pause(), (s) => s.resume()],
  ];

describe.each(outages)('a config changed while Redis was %s', (_name, breakIt, repairIt) => {
  it('is served by every GuildConfigCache as soon as Redis is back (resync), not after the TTL', async () => {
    const server = await privateRedis();
    const keyPrefix = uniquePrefix('catchup');
    const [g1, g2] = [
      String(7_000_000 + Math.floor(Math.random() * 1e6)),
      String(8_000_000 + Math.floor(Math.random() * 1e6)),
    ];
    await setGuild(g1, 1, '!');
    await setGuild(g2, 1, '!');
    const a = await botProcess(server, keyPrefix);
    const b = await botProcess(server, keyPrefix);
    const panel = new SyncClient({ redis: server.url, keyPrefix, listen: false });
    await panel.connect();
    defer(() => panel.close());
    expect((await a.configs.get(g1))?.settings).toEqual({ prefix: '!' });
    expect((await b.configs.get(g1))?.settings).toEqual({ prefix: '!' });
    expect((await a.configs.get(g2))?.version).toBe(1); // in A's L1 and in L2; B never read it

    await breakIt(server);
    await waitFor(() => a.disconnects() > 0 && b.disconnects() > 0, { timeoutMs: 5000 });
    // The panel saves while Redis is down: the DB changes, the event is lost.
    await setGuild(g1, 2, '?');
    await setGuild(g2, 2, '?');
    await expect(panel.publishConfigUpdate(g1, { prefix: '?' }, 2)).rejects.toBeInstanceOf(
      PublishFailedError,
    );
    expect(a.configs.peek(g1)?.version).toBe(1);

    await repairIt(server);
    await waitFor(
      async () => {
        const seen = await Promise.all([
          a.configs.get(g1),
          b.configs.get(g1),
          a.configs.get(g2),
          b.configs.get(g2),
        ]);
        return seen.every((c) => c?.version === 2 && c.settings['prefix'] === '?');
      },
      { timeoutMs: 10_000, intervalMs: 10, message: 'every cache serving version 2' },
    );
    // Both bots went through a resync (with a hung Redis, the queued publish may also arrive late
    // and get there first: the resync still follows).
    await waitFor(() => a.configs.stats().resyncs > 0 && b.configs.stats().resyncs > 0, {
      timeoutMs: 10_000,
      message: 'a resync in both bots',
    });
  }, 30_000);
});
