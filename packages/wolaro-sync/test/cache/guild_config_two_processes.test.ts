import { redisUrl, uniquePrefix } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { ofType, rawRedis, spawnFixture, useCleanup } from './helpers.js';

useCleanup();

describe('GuildConfigCache across two processes', () => {
  it('stampede: 1,000 concurrent gets of a cold guild call load once per process', async () => {
    type Msg =
      | { type: 'ready' }
      | { type: 'done'; loads: number; distinct: number; versions: number[]; l2Hits: number };
    const env = {
      REDIS_URL: redisUrl(),
      KEY_PREFIX: uniquePrefix('stampede'),
      GUILD: '444',
      LOAD_DELAY_MS: '500',
    };
    const workers = [spawnFixture<Msg>('stampede_worker', env), spawnFixture<Msg>('stampede_worker', env)];
    await Promise.all(workers.map((w) => w.next(ofType('ready'))));
    for (const w of workers) w.send({ type: 'go' });
    const results = await Promise.all(workers.map((w) => w.next(ofType('done'))));
    for (const r of results) {
      expect(r.loads).toBe(1);
      expect(r.distinct).toBe(1); // every caller got the same object
      expect(r.versions).toEqual([1]);
    }
  }, 30_000);

  it('version guard: 100,000 random operations in 2 processes; get never returns less than a handled version', async () => {
    type Counters = {
      ops: number;
      gets: number;
      peeks: number;
      peekHits: number;
      updates: number;
      eventsPublished: number;
      violations: number;
      lateViolations: number;
      corrupt: number;
      errors: string[];
      ms: number;
      stats: Record<string, number>;
    };
    type Msg =
      | { type: 'ready' }
      | ({ type: 'opsDone' } & Counters)
      | { type: 'verified'; converged: boolean; mismatches: string[] };
    const keyPrefix = uniquePrefix('guard');
    const guilds = Array.from({ length: 24 }, (_, i) => String(900_000 + i));
    const db = rawRedis();
    for (const g of guilds) await db.hset(`${keyPrefix}db:${g}`, { version: 0, prefix: 'p0' });
    const workers = [101, 202].map((seed) =>
      spawnFixture<Msg>('guard_worker', {
        REDIS_URL: redisUrl(),
        KEY_PREFIX: keyPrefix,
        SEED: String(seed),
        OPS: '50000',
        GUILDS: guilds.join(','),
        WORKERS: '24',
      }),
    );
    const done = await Promise.all(workers.map((w) => w.next(ofType('opsDone'), 40_000)));
    for (const w of workers) w.send({ type: 'verify' });
    const verified = await Promise.all(workers.map((w) => w.next(ofType('verified'))));
    for (const w of workers) w.send({ type: 'exit' });
    console.log(JSON.stringify(done.map(({ type: _t, ...rest }) => rest)));

    expect(done.reduce((n, d) => n + d.ops, 0)).toBe(100_000);
    for (const d of done) {
      expect(d.errors).toEqual([]);
      expect(d.violations).toBe(0);
      expect(d.lateViolations).toBe(0);
      expect(d.corrupt).toBe(0);
      // The run really exercised what it claims to.
      expect(d.gets).toBeGreaterThan(20_000);
      expect(d.updates).toBeGreaterThan(4000);
      expect(d.stats['staleDiscarded']).toBeGreaterThan(0);
      expect(d.stats['eventsIgnored']).toBeGreaterThan(0);
      expect(d.stats['l2Hits']).toBeGreaterThan(0);
    }
    expect(verified.map((v) => v.mismatches)).toEqual([[], []]);
  }, 60_000);
});
