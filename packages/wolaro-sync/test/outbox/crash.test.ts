import { describe, expect, it } from 'vitest';
import { redisUrl, waitFor } from '../../../../test/support/index.js';
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

    // A relay started afterwards (the restarted process, or any other) sweeps it.
    const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs: 10_000 });
    defer(() => relay.stop());
    await relay.start();
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '900', version: 1, eventId: pending?.event_id });
    expect((await w.outbox())[0]).toMatchObject({ published: true, attempts: 1 });
  });
});
