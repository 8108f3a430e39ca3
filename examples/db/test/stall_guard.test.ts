import { watchForStall } from '@wolaro/db';
import { databaseUrl, startTcpProxy, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

// watchForStall tells a database that hangs (work pending, nothing finishing, a fresh probe
// unanswered) from one that is only busy (long statements, rows locked: the probe answers).

/** A probe on a connection of its own, counting its calls. */
function countingProbe(url: string) {
  const calls: boolean[] = [];
  const probe = async (timeoutMs: number) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
    client.on('error', () => {});
    let ok = false;
    try {
      await client.connect();
      await client.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);
      ok = true;
    } catch {
      ok = false;
    } finally {
      client.end().catch(() => {});
    }
    calls.push(ok);
    return ok;
  };
  return { probe, calls };
}

describe('watchForStall', () => {
  it('a busy database (statements running longer than stallMs) answers the probe and is never declared stalled', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
    const { probe, calls } = countingProbe(databaseUrl());
    const changes: boolean[] = [];
    const guard = watchForStall(pool, probe, { stallMs: 100, onChange: (s) => changes.push(s) });
    try {
      const sleeping = [pool.query('SELECT pg_sleep(3)'), pool.query('SELECT pg_sleep(3)')];
      // Suspected (busy, nothing finished for 100 ms) and probed, more than once, and each probe answered.
      await waitFor(() => calls.length >= 2, { message: 'the guard probed the busy database' });
      expect(calls.every((ok) => ok)).toBe(true);
      expect(guard.stalled).toBe(false);
      await Promise.all(sleeping);
      expect(changes).toEqual([]);
    } finally {
      guard.close();
      await pool.end();
    }
  });

  it('a link that drops every packet is declared stalled, and clears once a connection answers again', async () => {
    const proxy = await startTcpProxy({ targetPort: Number(new URL(databaseUrl()).port || 5432) });
    const url = proxy.url(databaseUrl());
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 20_000 });
    pool.on('error', () => {});
    const { probe, calls } = countingProbe(url);
    const changes: boolean[] = [];
    const guard = watchForStall(pool, probe, {
      stallMs: 100,
      probeTimeoutMs: 200,
      onChange: (s) => changes.push(s),
    });
    try {
      await pool.query('SELECT 1');
      proxy.setMode('blackhole');
      const hung = pool.query('SELECT 1').catch((err: Error) => err);
      await waitFor(() => guard.stalled, { message: 'the hung link was declared stalled' });
      expect(changes).toEqual([true]);
      expect(calls.at(-1)).toBe(false);

      proxy.setMode('pass');
      proxy.resetAll();
      expect(await hung).toBeInstanceOf(Error);
      await pool.query('SELECT 1');
      expect(guard.stalled).toBe(false);
      expect(changes).toEqual([true, false]);
    } finally {
      guard.close();
      await pool.end();
      await proxy.close();
    }
  });

  it('stallMs 0 turns it off: nothing listens on the pool', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
    const before = pool.listenerCount('release') + pool.listenerCount('connect');
    const guard = watchForStall(pool, async () => false, { stallMs: 0 });
    expect(pool.listenerCount('release') + pool.listenerCount('connect')).toBe(before);
    expect(guard.stalled).toBe(false);
    guard.close();
    await pool.end();
  });
});
