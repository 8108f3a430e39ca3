/**
 * The short variant of `npm run bench:scale`: a Redis Cluster of 3 masters and 3 replicas, 3 panel
 * API nodes, the bot as 2 shard processes, guilds on both shards and panel sockets on every node,
 * under a small open-loop write load; halfway through, the master that carries the bus is killed
 * and its replica promoted. Asserts correctness only (timings belong to the benchmark): before the
 * kill every socket gets each event of its guild exactly once, no acknowledged write is lost before
 * or after it, the cluster recovered and every consumer ends on the database's version.
 */
import { databaseUrl, postgresKind } from '@wolaro/test-harness';
import { expect, it } from 'vitest';
import { runScale } from '../../bench/src/scale/run.js';
import { scaleSettings } from '../../bench/src/scale/settings.js';

// The per-part CPU accounting reads pg_stat_activity: a real PostgreSQL server.
it.skipIf(postgresKind() === 'pglite')(
  'cluster, 3 API nodes, 2 bot shards, a Redis master killed under load: exactly once, nothing lost, recovered',
  async () => {
    const settings = scaleSettings(
      [
        ...['--guilds', '20', '--sockets', '40', '--rate', '20', '--seconds', '8'],
        ...[
          '--warmup',
          '1',
          '--floor',
          '20',
          '--fanout-subscribers',
          '5',
          '--fanout-messages',
          '100',
          '--no-publish',
        ],
      ],
      {},
    );
    const r = await runScale(settings, {
      databaseUrl: databaseUrl(),
      log: (line) => console.log(`[scale] ${line}`),
    });
    // Both shards and every node carried part of the load.
    expect(r.guildsPerShard).toEqual([10, 10]);
    expect(r.socketsPerNode.every((n) => n > 0)).toBe(true);
    expect(r.steady.writes).toBeGreaterThan(0);
    expect(r.afterKill?.writes).toBeGreaterThan(0);
    // Before the kill: each socket got each event of its guild exactly once.
    const sockets = r.steady.once + r.steady.duplicates + r.steady.skipped;
    expect({ duplicates: r.steady.duplicates, skipped: r.steady.skipped }).toEqual({
      duplicates: 0,
      skipped: 0,
    });
    expect(sockets).toBe(r.steady.writes * (40 / 20));
    // No acknowledged write lost, before or after the kill; every consumer ends current.
    expect({ steady: r.steady.lostExamples, afterKill: r.afterKill?.lostExamples }).toEqual({
      steady: [],
      afterKill: [],
    });
    expect(r.drained).toBe(true);
    expect(r.staleGuilds).toBe(0);
    // The failover happened and every consumer caught up with the writes at risk.
    expect(Number.isFinite(r.failover?.promotedMs)).toBe(true);
    expect(Number.isFinite(r.failover?.recoveryMs)).toBe(true);
  },
  180_000,
);
