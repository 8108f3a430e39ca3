import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { GuildConfigCache } from '../../src/cache/guild_config_cache.js';
import { defer, useCleanup } from './helpers.js';
import { config, fakeDb, fakeSource, laggingL2, setup } from './stand_ins.js';

// Resync of GuildConfigCache (coalescing, backoff, concurrency, what is reloaded), driven through narrow in-memory stand-ins:
// an event source whose handlers the test calls directly (events without id/origin included), a
// "database" of rows, and an L2 that behaves like a lagging writer (its invalidations are lost).

useCleanup();

const G = '111111111111111111';
const H = '222222222222222222';
const K = '333333333333333333';

describe('GuildConfigCache resync', () => {
  it('one resync call runs one revalidation, and an empty cache queries nothing', async () => {
    const { db, configs } = await setup();
    await configs.resync();
    expect(configs.stats().resyncs).toBe(1);
    expect(db.versionQueries).toEqual([]);
  });

  it('calls during a resync share it and run it once more, so a change made meanwhile is seen', async () => {
    const { db, configs } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    const release = db.holdVersions();
    const first = configs.resync();
    await waitFor(() => db.versionQueries.length === 1); // answered "version 1", held
    db.rows.set(G, config(2));
    const second = configs.resync();
    const third = configs.resync();
    expect(second).toBe(first);
    expect(third).toBe(first);
    release();
    await Promise.all([first, second, third]);
    expect(configs.stats().resyncs).toBe(2);
    expect(db.versionQueries).toEqual([[G], [G]]);
    expect(configs.peek(G)?.version).toBe(2);
  });

  it('reloads only changed guilds, from L2 when it holds the new version; forgets vanished ones', async () => {
    const l2 = laggingL2();
    const { db, configs, invalidated, errors, updated } = await setup({ cache: l2.cache });
    for (const id of [G, H, K]) db.rows.set(id, config(1));
    for (const id of [G, H, K]) await configs.get(id);
    db.loads.length = 0;
    db.rows.set(G, config(3));
    l2.put(G, config(3)); // written by the process that made the change
    db.rows.delete(K);
    await configs.resync();
    expect(invalidated).toEqual([[G, 3]]);
    expect(db.loads, 'G should come from L2: a changed guild is reloaded through L2').toEqual([]);
    expect(updated.map(([id, cfg]) => [id, cfg?.version])).toEqual([[G, 3]]);
    expect(configs.peek(G)?.version).toBe(3);
    expect(configs.peek(H)?.version).toBe(1);
    expect(configs.peek(K)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('without loadVersions every cached guild is reloaded from the database, not from L2', async () => {
    const l2 = laggingL2();
    const { db, configs, errors } = await setup({ cache: l2.cache, withVersions: false });
    for (const id of [G, H]) db.rows.set(id, config(1));
    for (const id of [G, H]) await configs.get(id);
    db.loads.length = 0;
    db.rows.set(G, config(2));
    l2.put(G, config(1)); // an old copy in L2 (its invalidation was lost)
    await configs.resync();
    expect([...db.loads].sort()).toEqual([G, H]);
    expect(configs.peek(G)?.version).toBe(2);
    expect(errors).toEqual([]);
  });

  it('reloads at most resyncConcurrency guilds at a time', async () => {
    const gates = new Map<string, () => void>();
    const log: string[] = [];
    const db = fakeDb();
    for (const id of [G, H, K]) db.rows.set(id, config(1));
    const bus = fakeSource();
    const configs = new GuildConfigCache({
      sync: bus.source,
      resyncConcurrency: 2,
      load: async (id) => {
        const row = await db.load(id);
        if (row?.version === 2) {
          log.push(`start ${id}`);
          await new Promise<void>((r) => gates.set(id, r));
          log.push(`end ${id}`);
        }
        return row;
      },
    });
    await configs.start();
    defer(() => configs.stop());
    for (const id of [G, H, K]) await configs.get(id);
    for (const id of [G, H, K]) db.rows.set(id, config(2));
    const done = configs.resync();
    await waitFor(() => gates.size === 2);
    const firstTwo = [...gates.keys()];
    gates.get(firstTwo[0]!)!();
    await waitFor(() => gates.size === 3);
    for (const [id, release] of gates) if (id !== firstTwo[0]) release();
    await done;
    expect(log.slice(0, 3)).toEqual([`start ${firstTwo[0]}`, `start ${firstTwo[1]}`, `end ${firstTwo[0]}`]);
    expect(log.filter((l) => l.startsWith('start')).length).toBe(3);
    expect([G, H, K].map((id) => configs.peek(id)?.version)).toEqual([2, 2, 2]);
  });

  it('a failed versions query is logged and retried with a doubling delay capped at 30 s', async () => {
    const { db, configs, logger, errors } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    const boom = new Error('versions down');
    db.failVersions(boom);
    for (let i = 0; i < 7; i++) await configs.resync();
    const warns = logger.entries.filter((e) => e.msg === 'Guild config resync failed, retrying');
    expect(warns.map((e) => e.obj?.['retryInMs'])).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(warns[0]?.obj?.['err']).toBe(boom);
    expect(warns[0]?.level).toBe('warn');
    expect(errors).toHaveLength(7);
    expect(errors[0]).toBe(boom);
    db.failVersions(undefined);
    await configs.resync();
    db.failVersions(boom);
    await configs.resync();
    expect(logger.entries.at(-1)?.obj?.['retryInMs']).toBe(1000);
  });

  it('after a failed versions query the resync runs again by itself', async () => {
    const { db, configs } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    db.failVersions(new Error('versions down'));
    await configs.resync();
    db.failVersions(undefined);
    db.rows.set(G, config(2));
    await waitFor(() => configs.peek(G)?.version === 2, { timeoutMs: 10_000 });
    expect(configs.stats().resyncs).toBe(2);
  });

  it("the event source's 'resync' triggers a resync", async () => {
    const { bus, db, configs } = await setup();
    db.rows.set(G, config(1));
    await configs.get(G);
    db.rows.set(G, config(4));
    bus.fireResync();
    await waitFor(() => configs.peek(G)?.version === 4);
  });
});

describe('GuildConfigCache options reach the store', () => {
  it('L2 TTL: l2TtlSeconds, else the manager default, else 3600', async () => {
    const cases = [
      { l2TtlSeconds: 100, managerDefault: 5000, expected: 100 },
      { l2TtlSeconds: undefined, managerDefault: 200, expected: 200 },
      { l2TtlSeconds: undefined, managerDefault: undefined, expected: 3600 },
    ];
    for (const { l2TtlSeconds, managerDefault, expected } of cases) {
      const l2 = laggingL2(managerDefault);
      const { db, configs } = await setup({
        cache: l2.cache,
        ...(l2TtlSeconds === undefined ? {} : { l2TtlSeconds }),
      });
      db.rows.set(G, config(1));
      await configs.get(G);
      await waitFor(() => l2.writes.length === 1);
      expect(l2.writes[0]?.ttlSeconds, JSON.stringify({ l2TtlSeconds, managerDefault })).toBe(expected);
    }
  });

  it('l1.ttlMs bounds how long a config stays in L1', async () => {
    const { db, configs } = await setup({ l1: { ttlMs: 50 } });
    db.rows.set(G, config(1));
    await configs.get(G);
    await waitFor(() => configs.peek(G) === undefined, { timeoutMs: 3000 });
  });
});
