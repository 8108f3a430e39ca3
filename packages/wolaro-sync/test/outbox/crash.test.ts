import { redisUrl, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/pg/index.js';
import { defer, outboxWorld, spawnFixture, useCleanup } from './helpers.js';

useCleanup();

describe('crash between COMMIT and publish', () => {
  it('a process SIGKILLed after COMMIT and before publishing loses nothing: the relay publishes its event', async () => {
    const w = await outboxWorld('crash');
    await w.addGuilds('900');
    const child = spawnFixture('crash_after_commit', {
      DATABASE_URL: w.db.connectionString,
      REDIS_URL: redisUrl(),
      KEY_PREFIX: w.keyPrefix,
      GUILD_ID: '900',
      CLAIM_MS: '1500',
    });
    await child.line(/^committed /);
    child.child.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.lines.some((l) => l.startsWith('published'))).toBe(false);

    // The change is durable, its event is pending, and nobody received anything.
    expect((await w.pool.query('SELECT settings, version FROM guilds')).rows).toEqual([
      { settings: { prefix: '$' }, version: 1 },
    ]);
    const [pending] = await w.outbox();
    expect(pending).toMatchObject({
      channel: 'config:update',
      guild_id: '900',
      published: false,
      attempts: 0,
    });
    expect(w.seen).toEqual([]);

    // The dead writer had claimed it: a relay (the restarted process, or any other) leaves it
    // alone while the claim holds, then publishes it on its next poll after the claim lapses.
    const { rows: claim } = await w.pool.query<{ lapses_at: number }>(
      `SELECT extract(epoch FROM claimed_until) * 1000 AS lapses_at FROM sync_outbox`,
    );
    const lapsesAt = Number(claim[0]?.lapses_at);
    expect(lapsesAt).toBeGreaterThan(Date.now());
    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 100 });
    defer(() => relay.stop());
    await relay.start();
    expect(w.seen).toEqual([]);
    await waitFor(() => w.seen.length === 1, { timeoutMs: 10_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(lapsesAt - 50);
    expect(w.seen[0]).toMatchObject({ guildId: '900', version: 1, eventId: pending?.event_id });
    await waitFor(async () => (await w.outbox())[0]?.published === true);
    expect((await w.outbox())[0]).toMatchObject({ published: true, attempts: 1 });
  });
});
