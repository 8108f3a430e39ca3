import { redisUrl, sleep, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { OutboxRelay, type OutboxRelayStats, versionedUpdate } from '../../src/pg/index.js';
import { defer, outboxWorld, spawnFixture, useCleanup, versionsOf } from './helpers.js';

useCleanup();

describe('several relays at once', () => {
  it('two relay processes plus one in-process relay publish each row exactly once, in per-guild order', async () => {
    const w = await outboxWorld('multi_relay', { max: 12 });
    const guilds = ['801', '802', '803', '804'];
    await w.addGuilds(...guilds);
    const env = { DATABASE_URL: w.db.connectionString, REDIS_URL: redisUrl(), KEY_PREFIX: w.keyPrefix };
    const children = [spawnFixture('relay', env), spawnFixture('relay', env)];
    const local = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 10_000, batchSize: 7 });
    defer(() => local.stop());
    await Promise.all([local.start(), ...children.map((c) => c.line(/^ready listening=true$/))]);

    // 200 versioned writes from 8 concurrent writers; only the relays publish (publish: false),
    // every insert wakes all three of them.
    const total = 200;
    let next = 0;
    const writer = async () => {
      while (next < total) {
        const guildId = guilds[next++ % guilds.length]!;
        await versionedUpdate<{ guild_id: string }>(w.pool, w.sync, {
          table: 'guilds',
          idColumn: 'guild_id',
          id: guildId,
          set: {},
          publish: false,
          event: (row) => ({ channel: 'config:update', payload: { guildId: row.guild_id, settings: {} } }),
        });
        // Bursts with pauses, so the relays race for each burst afresh.
        if (next % 25 === 0) await sleep(20);
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    await waitFor(() => w.seen.length >= total, { timeoutMs: 15_000 });
    await waitFor(async () => (await w.outbox()).every((r) => r.published));
    expect((await w.outbox()).map((r) => r.attempts)).toEqual(Array(total).fill(1));

    // Each relay counts what it published: together exactly the total.
    for (const c of children) c.child.kill('SIGTERM');
    const childStats = await Promise.all(
      children.map(async (c) => JSON.parse((await c.line(/^stats /)).slice(6)) as OutboxRelayStats),
    );
    const counts = [local.stats().published, ...childStats.map((s) => s.published)];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    // Sentinel: every relay has stopped (each awaited its publishes), so one more event on the bus
    // arrives after anything they sent; a duplicate would be in w.seen by then.
    await local.stop();
    await w.sync.publishConfigUpdate('899', {}, 1);
    await waitFor(() => w.seen.some((e) => e.guildId === '899'), { message: 'the sentinel event' });
    w.seen.splice(
      w.seen.findIndex((e) => e.guildId === '899'),
      1,
    );

    expect(w.seen).toHaveLength(total);
    expect(new Set(w.seen.map((s) => s.eventId)).size).toBe(total);
    for (const g of guilds) {
      expect(versionsOf(w.seen, g)).toEqual(Array.from({ length: total / guilds.length }, (_, i) => i + 1));
    }
    expect(childStats.every((s) => s.notifications > 0)).toBe(true);
    // They did race: some passes found the drain lock held by another relay.
    expect([local.stats(), ...childStats].reduce((n, s) => n + s.lockBusy, 0)).toBeGreaterThan(0);
  });
});
