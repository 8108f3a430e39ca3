import { createTestSchema } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineChannels, InvalidPayloadError, snowflake, UnknownChannelError } from '../../src/index.js';
import { enqueue, migrate, OutboxRelay, withTransaction } from '../../src/pg/index.js';
import { defer, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

describe('migrate()', () => {
  it('creates sync_outbox in the search_path schema, idempotently, with several processes at once', async () => {
    const db = await createTestSchema('migrate', { max: 8 });
    defer(() => db.drop());
    const other = await createTestSchema('migrate_other', { max: 1 });
    defer(() => other.drop());

    // Eight connections migrate at the same moment: the advisory lock makes them take turns.
    const results = await Promise.all(Array.from({ length: 8 }, () => migrate(db.pool)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.schema))).toEqual(new Set([db.schema]));
    expect(await migrate(db.pool)).toEqual({ schema: db.schema, created: false });

    const { rows: columns } = await db.pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'sync_outbox'`,
      [db.schema],
    );
    expect(columns.map((c) => c.column_name).sort()).toEqual(
      [
        'attempts',
        'channel',
        'claimed_until',
        'created_at',
        'event_id',
        'failed_at',
        'guild_id',
        'id',
        'last_error',
        'payload',
        'published_at',
        'version',
      ].sort(),
    );
    const { rows: indexes } = await db.pool.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'sync_outbox' ORDER BY 1`,
      [db.schema],
    );
    expect(indexes.map((i) => i.indexname)).toEqual([
      'sync_outbox_pending_guild_idx',
      'sync_outbox_pending_idx',
      'sync_outbox_pkey',
      'sync_outbox_published_at_idx',
    ]);
    const { rows: triggers } = await db.pool.query(
      `SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'sync_outbox_notify'`,
      [`${db.schema}.sync_outbox`],
    );
    expect(triggers).toHaveLength(1);
    // Nothing leaked into another schema.
    const { rows: elsewhere } = await other.pool.query(`SELECT to_regclass('sync_outbox') AS t`);
    expect(elsewhere[0].t).toBeNull();
  });

  it('OutboxRelay.start() says to run migrate() when the table is missing', async () => {
    const db = await createTestSchema('nomigrate', { max: 1 });
    defer(() => db.drop());
    const { SyncClient } = await import('../../src/index.js');
    const relay = new OutboxRelay({ pool: db.pool, sync: new SyncClient({ transport: 'memory' }) });
    await expect(relay.start()).rejects.toThrow(/sync_outbox not found .*run migrate\(pool\) first/);
    expect(relay.stats().running).toBe(false);
  });
});

describe('enqueue()', () => {
  it('writes inside the caller transaction: a rollback leaves nothing, a commit leaves the validated row', async () => {
    const w = await outboxWorld('enqueue');
    await expect(
      withTransaction(w.pool, async (client) => {
        await enqueue(client, 'guild:reload', { guildId: '42', reason: 'rolled back' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await w.outbox()).toEqual([]);

    const before = Date.now();
    const id = await withTransaction(w.pool, (client) =>
      enqueue(client, 'config:update', { guildId: '42', settings: { prefix: '!' }, version: 7 }),
    );
    expect(id).toMatch(/^\d+$/);
    const [row] = await w.outbox();
    expect(row).toMatchObject({
      id,
      channel: 'config:update',
      guild_id: '42',
      version: '7',
      published: false,
      attempts: 0,
    });
    expect(row?.payload).toMatchObject({
      guildId: '42',
      settings: { prefix: '!' },
      version: 7,
      eventId: row?.event_id,
    });
    // timestamp is the time of the change, not of the (possibly much later) publish.
    expect(row?.payload['timestamp']).toBeGreaterThanOrEqual(before);
    expect(row?.payload['timestamp']).toBeLessThanOrEqual(Date.now());
  });

  it('refuses unknown channels, bad payloads and oversized payloads before writing', async () => {
    const w = await outboxWorld('enqueue_invalid');
    const channels = defineChannels({
      'ticket:created': { schema: z.object({ guildId: snowflake, ticketId: z.string() }) },
    });
    await withTransaction(w.pool, async (client) => {
      await expect(enqueue(client, 'nope' as 'guild:reload', { guildId: '1' })).rejects.toBeInstanceOf(
        UnknownChannelError,
      );
      const bad = await enqueue(client, 'config:update', { guildId: 'abc', settings: {} }).catch(
        (e: unknown) => e,
      );
      expect(bad).toBeInstanceOf(InvalidPayloadError);
      expect((bad as InvalidPayloadError).issues[0]).toMatch(/^guildId:/);
      await expect(
        enqueue(
          client,
          'config:update',
          { guildId: '1', settings: { blob: 'x'.repeat(1000) } },
          { maxPayloadBytes: 500 },
        ),
      ).rejects.toBeInstanceOf(InvalidPayloadError);
      // A custom channel needs its definition (as the relay's SyncClient will).
      await expect(
        enqueue(client, 'ticket:created' as 'guild:reload', { guildId: '1', ticketId: 't' } as never),
      ).rejects.toBeInstanceOf(UnknownChannelError);
      await enqueue(client, 'ticket:created', { guildId: '1', ticketId: 't-1' }, { channels });
    });
    const rows = await w.outbox();
    expect(rows.map((r) => r.channel)).toEqual(['ticket:created']);
  });
});
