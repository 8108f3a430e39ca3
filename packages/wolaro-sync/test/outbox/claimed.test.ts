import { createTestSchema, redisUrl, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/index.js';
import {
  enqueue,
  enqueueClaimed,
  migrate,
  OutboxRelay,
  publishAfterCommit,
  sql,
  versionedUpdate,
  versionedUpdateStatement,
  withTransaction,
} from '../../src/pg/index.js';
import { defer, type OutboxWorld, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

type GuildRow = { guild_id: string; settings: Record<string, unknown>; version: number };

function relayFor(w: OutboxWorld, pollIntervalMs: number) {
  const relay = new OutboxRelay({ pool: w.pool, sync: w.sync, pollIntervalMs });
  defer(() => relay.stop());
  return relay;
}

const claimedRow = async (w: OutboxWorld) =>
  (
    await w.pool.query<{ claimed: boolean }>(
      'SELECT claimed_until IS NOT NULL AS claimed FROM sync_outbox ORDER BY id DESC LIMIT 1',
    )
  ).rows[0]?.claimed;

describe('claimed rows (enqueueClaimed + publishAfterCommit(event))', () => {
  it('are published once, by their writer: relays are not woken and leave them alone', async () => {
    const w = await outboxWorld('claimed_once');
    const relay = relayFor(w, 50);
    await relay.start();
    const event = await withTransaction(w.pool, (client) =>
      enqueueClaimed(client, 'config:update', { guildId: '1', settings: { prefix: '?' }, version: 1 }),
    );
    expect(event).toMatchObject({ channel: 'config:update', payload: { guildId: '1', version: 1 } });
    expect(event.payload['eventId']).toEqual(expect.any(String));
    // Several polls go by, then one more pass run to completion: the claimed row is neither
    // published nor announced.
    await waitFor(() => relay.stats().polls >= 3, { message: 'three polls' });
    expect(await relay.drain()).toBe(0);
    expect(w.seen).toEqual([]);
    expect(relay.stats()).toMatchObject({ published: 0, notifications: 0 });
    expect(relay.stats().polls).toBeGreaterThan(2);
    expect(await claimedRow(w)).toBe(true);

    expect(await publishAfterCommit(w.pool, w.sync, event)).toBe(true);
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '1', version: 1, eventId: event.payload['eventId'] });
    expect(await w.outbox()).toMatchObject([{ published: true, attempts: 1 }]);
    expect(await claimedRow(w)).toBe(false);
    // A full pass of the relay finds nothing to publish (a second copy would be counted there).
    expect(await relay.drain()).toBe(0);
    expect(w.seen).toHaveLength(1);
    expect(relay.stats().published).toBe(0);

    // An unclaimed row in the same table still wakes the relay.
    await withTransaction(w.pool, (client) => enqueue(client, 'guild:reload', { guildId: '1' }));
    await waitFor(() => relay.stats().notifications === 1);
  });

  it('a failed publish drops the claim and wakes the relays, which publish it at once', async () => {
    const w = await outboxWorld('claimed_fail');
    const relay = relayFor(w, 600_000); // a poll never comes in the test: only the NOTIFY can wake it
    await relay.start();
    const notConnected = new SyncClient({ redis: redisUrl(), keyPrefix: w.keyPrefix, listen: false });
    defer(() => notConnected.close());
    const event = await withTransaction(w.pool, (client) =>
      enqueueClaimed(client, 'config:update', { guildId: '2', settings: {}, version: 7 }),
    );
    expect(await publishAfterCommit(w.pool, notConnected, event)).toBe(false);
    await waitFor(() => w.seen.length === 1, { timeoutMs: 5000 });
    // Counted once the row is marked, which may come after the subscriber got the event.
    await waitFor(() => relay.stats().published === 1);
    // Woken by the NOTIFY of the release, not by its poll.
    expect(relay.stats()).toMatchObject({ polls: 0, published: 1 });
    expect(w.seen[0]).toMatchObject({ guildId: '2', version: 7, eventId: event.payload['eventId'] });
    const [row] = await w.outbox();
    expect(row).toMatchObject({ published: true, attempts: 2 });
    expect(row?.last_error).toMatch(/connect/i);
  });

  it('versionedUpdate claims its rows; when afterCommit throws the relay publishes them without waiting for the claim', async () => {
    const w = await outboxWorld('claimed_after_commit');
    await w.addGuilds('3');
    const relay = relayFor(w, 10_000);
    await relay.start();
    const update = (afterCommit?: () => void) =>
      versionedUpdate<GuildRow>(w.pool, w.sync, {
        table: 'guilds',
        idColumn: 'guild_id',
        id: '3',
        set: { settings: { n: 1 } },
        event: (row) => ({
          channel: 'config:update',
          payload: { guildId: row.guild_id, settings: row.settings },
        }),
        afterCommit,
      });
    expect(await update()).toMatchObject({ version: 1, published: true });
    await waitFor(() => w.seen.length === 1);
    await expect(
      update(() => {
        throw new Error('cache flush failed');
      }),
    ).rejects.toThrow('cache flush failed');
    await waitFor(() => w.seen.length === 2, { timeoutMs: 2000 });
    expect(w.seen.map((s) => s.version)).toEqual([1, 2]);
    expect(relay.stats()).toMatchObject({ published: 1, polls: 0 });
    expect((await w.outbox())[1]?.last_error).toMatch(/afterCommit threw: cache flush failed/);
  });

  it('versionedUpdateStatement runs afterCommit after COMMIT and before the publish, with the row, version and also', async () => {
    const w = await outboxWorld('claimed_statement_after_commit');
    await w.addGuilds('4');
    const seen: unknown[] = [];
    const result = await versionedUpdateStatement(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '4',
      set: { settings: sql`${JSON.stringify({ n: 1 })}::jsonb` },
      also: {
        revision: sql`INSERT INTO config_revisions SELECT guild_id, version, settings FROM updated RETURNING version`,
      },
      event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
      afterCommit: async (committed) => {
        // Committed: another connection sees it. Not yet announced: nothing published.
        const { rows } = await w.pool.query('SELECT version FROM guilds WHERE guild_id = $1', ['4']);
        seen.push({ committed, stored: rows[0]?.version, published: w.seen.length });
      },
    });
    expect(seen).toEqual([
      {
        committed: {
          row: expect.objectContaining({ guild_id: '4', version: 1, settings: { n: 1 } }),
          version: 1,
          also: { revision: [{ version: 1 }] },
        },
        stored: 1,
        published: 0,
      },
    ]);
    expect(result).toMatchObject({ version: 1, published: true });
    await waitFor(() => w.seen.length === 1);
  });

  it("when versionedUpdateStatement's afterCommit throws, the call rejects and the relay publishes at once", async () => {
    const w = await outboxWorld('claimed_statement_after_commit_throws');
    await w.addGuilds('5');
    const relay = relayFor(w, 10_000);
    await relay.start();
    // The relay of this process, woken at once (the real one above hears the NOTIFY as well).
    let woken = 0;
    const write = versionedUpdateStatement(w.pool, w.sync, {
      relay: { wake: () => woken++ },
      table: 'guilds',
      idColumn: 'guild_id',
      id: '5',
      set: { settings: sql`${JSON.stringify({ n: 2 })}::jsonb` },
      event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
      afterCommit: () => {
        throw new Error('cache write failed');
      },
    });
    await expect(write).rejects.toThrow('cache write failed');
    expect(woken).toBe(1);
    await waitFor(() => w.seen.length === 1, { timeoutMs: 2000 });
    expect(w.seen[0]).toMatchObject({ guildId: '5', version: 1 });
    expect(relay.stats()).toMatchObject({ published: 1, polls: 0 });
    expect((await w.outbox())[0]?.last_error).toBe('afterCommit threw: cache write failed');
  });

  it('marks of concurrent fast paths share statements, and leave the session durable', async () => {
    const w = await outboxWorld('claimed_batch', { max: 12 });
    const events = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        withTransaction(w.pool, (client) =>
          enqueueClaimed(client, 'config:update', { guildId: String(100 + i), settings: {}, version: 1 }),
        ),
      ),
    );
    const query = w.pool.query.bind(w.pool);
    let markStatements = 0;
    w.pool.query = ((...args: Parameters<typeof query>) => {
      if (typeof args[0] === 'string' && args[0].includes('claimed_until = NULL')) markStatements++;
      return query(...args);
    }) as typeof w.pool.query;
    const results = await Promise.all(events.map((event) => publishAfterCommit(w.pool, w.sync, event)));
    expect(results).toEqual(Array(40).fill(true));
    expect((await w.outbox()).every((r) => r.published && r.attempts === 1)).toBe(true);
    expect(markStatements).toBeGreaterThan(0);
    expect(markStatements).toBeLessThan(40);
    await waitFor(() => w.seen.length === 40);
    // The asynchronous commit was local to the marks' own transactions.
    const settings = await Promise.all(
      Array.from({ length: 12 }, () => query<{ synchronous_commit: string }>('SHOW synchronous_commit')),
    );
    expect(settings.map((r) => r.rows[0]?.synchronous_commit)).toEqual(Array(12).fill('on'));
  });

  it('preparedStatements: the marks are one named prepared statement, shared by concurrent fast paths', async () => {
    const w = await outboxWorld('claimed_prepared', { max: 12 });
    const events = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        withTransaction(w.pool, (client) =>
          enqueueClaimed(client, 'config:update', { guildId: String(200 + i), settings: {}, version: 1 }),
        ),
      ),
    );
    const query = w.pool.query.bind(w.pool);
    const names: (string | undefined)[] = [];
    w.pool.query = ((...args: Parameters<typeof query>) => {
      const first = args[0] as unknown;
      if (
        typeof first === 'object' &&
        first !== null &&
        String((first as { text: string }).text).includes('claimed_until = NULL')
      )
        names.push((first as { name?: string }).name);
      return query(...args);
    }) as typeof w.pool.query;
    const results = await Promise.all(
      events.map((event) => publishAfterCommit(w.pool, w.sync, event, { preparedStatements: true })),
    );
    w.pool.query = query;
    expect(results).toEqual(Array(40).fill(true));
    expect((await w.outbox()).every((r) => r.published && r.attempts === 1)).toBe(true);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(40);
    expect(new Set(names)).toEqual(new Set(['wolaro_mark_claimed_published']));
  });

  it('enqueueClaimed refuses a claim that is not a positive duration before writing', async () => {
    const w = await outboxWorld('claimed_bad');
    for (const claimMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(
        withTransaction(w.pool, (client) =>
          enqueueClaimed(client, 'guild:reload', { guildId: '4' }, { claimMs }),
        ),
      ).rejects.toThrow(TypeError);
    }
    expect(await w.outbox()).toEqual([]);
  });
});

describe('migrate() over the trigger and check of 0.2', () => {
  it('replaces the statement-level trigger and the keyvalue() check; claimed rows stay silent, forbidden keys refused', async () => {
    const db = await createTestSchema('claimed_upgrade_02', { max: 4 });
    defer(() => db.drop());
    await migrate(db.pool);
    // The 0.2 forms: a statement-level trigger reading a transition table, and a check listing every member.
    await db.pool.query(`CREATE OR REPLACE FUNCTION sync_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF EXISTS (SELECT 1 FROM inserted WHERE claimed_until IS NULL) THEN
          PERFORM pg_notify('sync_outbox', TG_TABLE_SCHEMA);
        END IF;
        RETURN NULL;
      END $fn$`);
    await db.pool.query('DROP TRIGGER sync_outbox_notify ON sync_outbox');
    await db.pool.query(`CREATE TRIGGER sync_outbox_notify AFTER INSERT ON sync_outbox REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION sync_outbox_notify()`);
    await db.pool.query('ALTER TABLE sync_outbox DROP CONSTRAINT sync_outbox_payload_keys');
    await db.pool.query(`ALTER TABLE sync_outbox ADD CONSTRAINT sync_outbox_payload_keys CHECK (NOT jsonb_path_exists(payload,
      'lax $.** ? (@.type() == "object").keyvalue() ? (@.key == "__proto__" || @.key == "constructor" || @.key == "prototype")')) NOT VALID`);

    await migrate(db.pool);
    await migrate(db.pool);
    const defs = await db.pool.query<{ trigger: string; check: string }>(
      `SELECT (SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'sync_outbox'::regclass AND tgname = 'sync_outbox_notify') AS trigger,
              (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sync_outbox'::regclass AND conname = 'sync_outbox_payload_keys') AS check`,
    );
    expect(defs.rows[0]?.trigger).toMatch(/FOR EACH ROW WHEN/);
    expect(defs.rows[0]?.check).toContain('exists (@."__proto__")');
    expect(defs.rows[0]?.check).not.toContain('keyvalue');

    const sync = new SyncClient({ redis: redisUrl(), keyPrefix: `upgrade02:${db.schema}`, listen: false });
    defer(() => sync.close());
    await sync.connect();
    const relay = new OutboxRelay({ pool: db.pool, sync, pollIntervalMs: 10_000 });
    defer(() => relay.stop());
    await relay.start();
    const claimed = await withTransaction(db.pool, (client) =>
      enqueueClaimed(client, 'guild:reload', { guildId: '6' }),
    );
    expect(await publishAfterCommit(db.pool, sync, claimed)).toBe(true);
    // Two unclaimed rows in one transaction: one NOTIFY (folded), both published.
    await withTransaction(db.pool, async (client) => {
      await enqueue(client, 'guild:reload', { guildId: '6' });
      await enqueue(client, 'guild:reload', { guildId: '7' });
    });
    await waitFor(() => relay.stats().published === 2);
    expect(relay.stats().notifications).toBe(1);
    // Deep forbidden keys are refused by the table, harmless look-alikes are not.
    const insert = (payload: string) =>
      db.pool.query(
        `INSERT INTO sync_outbox (channel, payload, event_id) VALUES ('guild:reload', $1::jsonb, gen_random_uuid()::text)`,
        [payload],
      );
    await expect(insert('{"a":[1,{"b":{"constructor":1}}]}')).rejects.toThrow(/sync_outbox_payload_keys/);
    await expect(insert('{"__proto__":{}}')).rejects.toThrow(/sync_outbox_payload_keys/);
    await expect(insert('{"a":"prototype","prototypes":["__proto__"]}')).resolves.toBeDefined();
  });
});

describe('migrate() over a table from 0.1', () => {
  it('adds the claim column and the claim-aware trigger; rows already pending still go out', async () => {
    const db = await createTestSchema('claimed_upgrade', { max: 4 });
    defer(() => db.drop());
    // The 0.1 table and trigger, with a row that was pending at upgrade time.
    await db.pool.query(`CREATE TABLE sync_outbox (
      id bigserial PRIMARY KEY, channel text NOT NULL, payload jsonb NOT NULL, event_id text NOT NULL,
      guild_id text, version bigint, created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz, attempts integer NOT NULL DEFAULT 0, last_error text, failed_at timestamptz)`);
    await db.pool.query(`CREATE FUNCTION sync_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN PERFORM pg_notify('sync_outbox', TG_TABLE_SCHEMA); RETURN NULL; END $fn$`);
    await db.pool.query(
      'CREATE TRIGGER sync_outbox_notify AFTER INSERT ON sync_outbox FOR EACH STATEMENT EXECUTE FUNCTION sync_outbox_notify()',
    );
    await db.pool.query(
      `INSERT INTO sync_outbox (channel, payload, event_id, guild_id)
       VALUES ('guild:reload', '{"guildId":"5","eventId":"e-old"}', 'e-old', '5')`,
    );

    expect(await migrate(db.pool)).toEqual({ schema: db.schema, created: false });
    expect(await migrate(db.pool)).toEqual({ schema: db.schema, created: false });
    const { rows: triggers } = await db.pool.query<{ def: string }>(
      `SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = 'sync_outbox_notify'`,
      [`${db.schema}.sync_outbox`],
    );
    expect(triggers).toHaveLength(1);
    expect(triggers[0]?.def).toMatch(
      /AFTER INSERT ON .*FOR EACH ROW WHEN \(\(new\.claimed_until IS NULL\)\)/,
    );

    const sync = new SyncClient({ redis: redisUrl(), keyPrefix: `upgrade:${db.schema}`, listen: false });
    defer(() => sync.close());
    await sync.connect();
    const relay = new OutboxRelay({ pool: db.pool, sync, pollIntervalMs: 10_000 });
    defer(() => relay.stop());
    await relay.start();
    expect(relay.stats().published).toBe(1);
    // Claimed inserts stay silent, unclaimed ones still NOTIFY.
    const claimed = await withTransaction(db.pool, (client) =>
      enqueueClaimed(client, 'guild:reload', { guildId: '5' }),
    );
    expect(await publishAfterCommit(db.pool, sync, claimed)).toBe(true);
    await withTransaction(db.pool, (client) => enqueue(client, 'guild:reload', { guildId: '5' }));
    await waitFor(() => relay.stats().published === 2);
    // Notifications arrive in commit order: had the claimed insert notified, it would count here too.
    expect(relay.stats().notifications).toBe(1);
  });
});
