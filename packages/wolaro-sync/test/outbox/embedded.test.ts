import { createTestSchema, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { startPgliteServer } from '../../../../test/setup/pglite-server.js';
import { MemoryBus, MemoryTransport, SyncClient } from '../../src/index.js';
import { migrate, OutboxRelay, versionedUpdate } from '../../src/pg/index.js';
import { defer, useCleanup } from './helpers.js';

useCleanup();

describe('embedded mode (PGlite + in-process bus)', () => {
  it('versionedUpdate never deadlocks on the shared session, and wake() keeps per-guild order', async () => {
    const server = await startPgliteServer();
    defer(() => server.stop());
    const db = await createTestSchema('embedded', { baseUrl: server.url, max: 6 });
    defer(() => db.drop());
    await migrate(db.pool);
    await db.pool.query(`CREATE TABLE guilds (guild_id text PRIMARY KEY, settings jsonb NOT NULL DEFAULT '{}',
      version integer NOT NULL DEFAULT 0)`);
    await db.pool.query(`INSERT INTO guilds (guild_id) VALUES ('1'), ('2')`);

    const bus = new MemoryBus();
    const sync = new SyncClient({ transport: new MemoryTransport({ bus }) });
    const subscriber = new SyncClient({ transport: new MemoryTransport({ bus }) });
    defer(() => Promise.all([sync.close(), subscriber.close()]));
    await Promise.all([sync.connect(), subscriber.connect()]);
    const seen: string[] = [];
    subscriber.subscribe('config:update', (e) => {
      seen.push(`${e.guildId}:${e.version}`);
    });
    const relay = new OutboxRelay({ pool: db.pool, sync, notify: false, pollIntervalMs: 10_000 });
    defer(() => relay.stop());
    await relay.start();

    // Concurrent writers: each transaction uses only its own connection, so none waits for another
    // inside a transaction; the advisory lock is re-entrant on PGlite, the in-process guard is not.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        versionedUpdate<{ guild_id: string; settings: Record<string, unknown> }>(db.pool, sync, {
          table: 'guilds',
          idColumn: 'guild_id',
          id: String((i % 2) + 1),
          set: { settings: { i } },
          event: (row) => ({
            channel: 'config:update',
            payload: { guildId: row.guild_id, settings: row.settings },
          }),
          relay,
        }),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => Math.floor(i / 2) + 1),
    );
    await waitFor(() => seen.length === 30);
    for (const g of ['1', '2']) {
      expect(seen.filter((s) => s.startsWith(`${g}:`))).toEqual(
        Array.from({ length: 15 }, (_, i) => `${g}:${i + 1}`),
      );
    }
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM sync_outbox WHERE published_at IS NOT NULL AND attempts = 1',
    );
    expect(rows[0].n).toBe(30);
    expect(relay.stats().polls).toBe(0);
  });
});
