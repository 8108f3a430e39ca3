import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineChannels,
  InvalidPayloadError,
  type SyncClient,
  snowflake,
  UnknownChannelError,
} from '../../src/index.js';
import { sql, versionedUpdateStatement } from '../../src/pg/index.js';
import { type OutboxWorld, outboxWorld, useCleanup } from './helpers.js';

useCleanup();

const guildRow = (id: string) => ({ table: 'guilds', idColumn: 'guild_id', id }) as const;

const configEvent = {
  channel: 'config:update',
  payload: { guildId: 'guild_id', settings: 'settings' },
} as const;

/** The outbox rows' payloads, in id order. */
async function payloads(w: OutboxWorld): Promise<Record<string, unknown>[]> {
  return (await w.outbox()).map((r) => r.payload);
}

describe('versionedUpdateStatement() options', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses claimMs %s before writing anything',
    async (claimMs) => {
      const w = await outboxWorld('vsp_claim_bad');
      await w.addGuilds('1');
      await expect(
        versionedUpdateStatement(w.pool, w.sync, { ...guildRow('1'), set: {}, event: configEvent, claimMs }),
      ).rejects.toThrow(
        new TypeError(
          `versionedUpdateStatement: claimMs must be a positive number of milliseconds, got ${claimMs}`,
        ),
      );
      expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
      expect(await w.outbox()).toEqual([]);
    },
  );

  it('claims its rows for claimMs (10 s unless given)', async () => {
    const w = await outboxWorld('vsp_claim');
    await w.addGuilds('2');
    // A mark that waits (far longer than the test) keeps the claims in place to be read.
    const markDelayMs = 600_000;
    await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('2'),
      set: {},
      event: configEvent,
      markDelayMs,
    });
    await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('2'),
      set: {},
      event: configEvent,
      markDelayMs,
      claimMs: 300_000,
    });
    const { rows } = await w.pool.query<{ claim: number }>(
      `SELECT round(extract(epoch FROM claimed_until - created_at))::int AS claim FROM sync_outbox ORDER BY id`,
    );
    expect(rows.map((r) => r.claim)).toEqual([10, 300]);
    // A mark without a delay flushes the waiting ones.
    await versionedUpdateStatement(w.pool, w.sync, { ...guildRow('2'), set: {}, event: configEvent });
    await waitFor(async () => (await w.outbox()).every((r) => r.published));
  });

  it('statementTimeoutMs alone runs the statement under that limit (57014)', async () => {
    const w = await outboxWorld('vsp_statement_timeout');
    await w.addGuilds('3');
    const err = await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('3'),
      set: {},
      precondition: sql`(SELECT pg_sleep(0.5)) IS NOT NULL`,
      event: configEvent,
      statementTimeoutMs: 50,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '57014' });
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
  });
  it('without preparedStatements the statement is sent unnamed: nothing is prepared on the connection', async () => {
    const w = await outboxWorld('vsp_unnamed', { max: 1 });
    await w.addGuilds('11');
    for (let i = 0; i < 2; i++) {
      await versionedUpdateStatement(w.pool, w.sync, { ...guildRow('11'), set: {}, event: configEvent });
    }
    await waitFor(async () => (await w.outbox()).every((r) => r.published));
    // The pool has one connection: the one the writes used.
    expect((await w.pool.query('SELECT name FROM pg_prepared_statements')).rows).toEqual([]);
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 2 }]);
  });

  it('with a time limit the write is still one statement, in a transaction of its own: its precondition is read once', async () => {
    const w = await outboxWorld('vsp_limited_once');
    await w.addGuilds('12');
    await w.pool.query('CREATE SEQUENCE calls');
    // True on its first evaluation only: a second one (a check under the row lock, a retry) would refuse the write.
    const precondition = sql`nextval('calls') = 1`;
    const result = await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('12'),
      set: {},
      precondition,
      event: configEvent,
      lockTimeoutMs: 5000,
    });
    expect(result).toMatchObject({ version: 1, published: true });
    expect((await w.pool.query('SELECT last_value FROM calls')).rows).toEqual([{ last_value: '1' }]);
    expect(await w.outbox()).toHaveLength(1);
  });
});

describe('versionedUpdateStatement() events', () => {
  it('writes several events in order: custom channels, given fields kept, missing ones filled in', async () => {
    const w = await outboxWorld('vsp_events');
    await w.addGuilds('4');
    const channels = defineChannels({
      'audit:entry': {
        schema: z.object({ guildId: snowflake, note: z.string(), version: z.number().optional() }),
      },
    });
    const sync = (await w.newSync({ channels })) as SyncClient<typeof channels>;
    const result = await versionedUpdateStatement(w.pool, sync, {
      ...guildRow('4'),
      set: { settings: sql`'{"prefix":"?"}'::jsonb` },
      event: [
        {
          channel: 'config:update',
          payload: {
            guildId: 'guild_id',
            settings: 'settings',
            version: sql`${41}::int`,
            timestamp: sql`${123}::bigint`,
            eventId: sql`${'event-given'}::text`,
          },
        },
        { channel: 'guild:reload', payload: { guildId: 'guild_id', reason: sql`${'restore'}::text` } },
        { channel: 'audit:entry', payload: { guildId: 'guild_id', note: sql`'noted'` } },
      ],
    });
    expect(result).toMatchObject({ version: 1, published: true });
    expect(result.outboxIds).toEqual((await w.outbox()).map((r) => r.id));
    const [config, reload, audit] = await payloads(w);
    expect(config).toEqual({
      guildId: '4',
      settings: { prefix: '?' },
      version: 41,
      timestamp: 123,
      eventId: 'event-given',
    });
    // guild:reload has no version field: none added.
    expect(Object.keys(reload ?? {}).sort()).toEqual(['eventId', 'guildId', 'reason', 'timestamp']);
    expect(reload).toMatchObject({ guildId: '4', reason: 'restore' });
    // A channel without a timestamp field gets none; one with a version gets the row's.
    expect(audit).toEqual({ guildId: '4', note: 'noted', version: 1, eventId: expect.any(String) });
    expect((await w.outbox()).map((r) => [r.channel, r.event_id, r.version])).toEqual([
      ['config:update', 'event-given', '41'],
      ['guild:reload', reload?.['eventId'], null],
      ['audit:entry', audit?.['eventId'], '1'],
    ]);
    expect(new Set([reload?.['eventId'], audit?.['eventId']]).size).toBe(2);
  });

  it('returns every `returning` field, and an empty list for an `also` without RETURNING', async () => {
    const w = await outboxWorld('vsp_returning');
    await w.addGuilds('5');
    const result = await versionedUpdateStatement<{ one: number; two: string }>(w.pool, w.sync, {
      ...guildRow('5'),
      set: {},
      returning: { one: sql`1`, two: sql`'two'::text` },
      also: {
        // "returning" inside a name is not a RETURNING clause.
        silent: sql`INSERT INTO config_revisions SELECT guild_id, version, settings AS no_returning_here FROM updated`,
        lower: sql`insert into config_revisions select guild_id, version, settings from updated returning version`,
      },
      event: configEvent,
    });
    expect(result.row).toMatchObject({ one: 1, two: 'two', version: 1 });
    expect(result.also).toEqual({ silent: [], lower: [{ version: 1 }] });
    expect((await w.pool.query('SELECT count(*)::int AS n FROM config_revisions')).rows[0]?.n).toBe(2);
  });

  it('uses versionColumn for the version it bumps, returns and announces', async () => {
    const w = await outboxWorld('vsp_version_column');
    await w.pool.query(
      `CREATE TABLE docs (guild_id text PRIMARY KEY, settings jsonb NOT NULL DEFAULT '{}', rev integer NOT NULL)`,
    );
    await w.pool.query(`INSERT INTO docs VALUES ('6', '{}', 7)`);
    const result = await versionedUpdateStatement(w.pool, w.sync, {
      table: 'docs',
      idColumn: 'guild_id',
      id: '6',
      versionColumn: 'rev',
      expectedVersion: 7,
      set: {},
      event: configEvent,
    });
    expect(result.version).toBe(8);
    expect((await payloads(w))[0]).toMatchObject({ guildId: '6', version: 8 });
  });
});

describe('versionedUpdateStatement() refusals', () => {
  it('refuses a channel name inherited from Object as an unknown channel', async () => {
    const w = await outboxWorld('vsp_inherited');
    await w.addGuilds('10');
    const err = await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('10'),
      set: {},
      event: { channel: 'toString' as 'guild:reload', payload: { guildId: 'guild_id' } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownChannelError);
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
  });

  it('a forbidden key built in SQL is InvalidPayloadError with the reason; other CHECK violations are rethrown as they are', async () => {
    const w = await outboxWorld('vsp_check');
    await w.addGuilds('7');
    const poisoned = {
      ...guildRow('7'),
      set: { settings: sql`'{"__proto__":{"x":1}}'::jsonb` },
      event: configEvent,
    };
    for (const limits of [{}, { lockTimeoutMs: 1000 }]) {
      const err = await versionedUpdateStatement(w.pool, w.sync, { ...poisoned, ...limits }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidPayloadError);
      expect(err).toMatchObject({
        message:
          'versionedUpdateStatement: an event payload has a forbidden key (__proto__/constructor/prototype), which every receiver drops; nothing was written',
        issues: ['(root): forbidden key (__proto__/constructor/prototype)'],
        cause: { code: '23514', constraint: 'sync_outbox_payload_keys' },
      });
    }
    await w.pool.query('ALTER TABLE guilds ADD CONSTRAINT small_version CHECK (version < 1)');
    const other = await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('7'),
      set: {},
      event: configEvent,
    }).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(InvalidPayloadError);
    expect(other).toMatchObject({ code: '23514', constraint: 'small_version' });
    expect(await w.outbox()).toEqual([]);
  });

  it('another error naming the outbox payload constraint is rethrown as it is', async () => {
    const w = await outboxWorld('vsp_same_constraint_name');
    await w.addGuilds('13');
    // A unique constraint of the caller's that happens to share the outbox CHECK's name.
    await w.pool.query(
      'CREATE TABLE seen_guilds (guild_id text, CONSTRAINT sync_outbox_payload_keys UNIQUE (guild_id))',
    );
    await w.pool.query(`INSERT INTO seen_guilds VALUES ('13')`);
    const err = await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('13'),
      set: {},
      also: { seen: sql`INSERT INTO seen_guilds SELECT guild_id FROM updated` },
      event: configEvent,
    }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(InvalidPayloadError);
    expect(err).toMatchObject({ code: '23505', constraint: 'sync_outbox_payload_keys' });
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);
  });

  it('names itself and the bad name in what it refuses before writing', async () => {
    const w = await outboxWorld('vsp_refusal_messages');
    await w.addGuilds('14');
    await expect(
      versionedUpdateStatement(w.pool, w.sync, {
        ...guildRow('14'),
        set: { version: 3 },
        event: configEvent,
      }),
    ).rejects.toThrow(
      new TypeError('versionedUpdateStatement: "version" cannot be set (it is the id or the version column)'),
    );
    await expect(
      versionedUpdateStatement(w.pool, w.sync, {
        ...guildRow('14'),
        set: {},
        event: { channel: 'guild:reload', payload: { guildId: 'guild_id; --' } },
      }),
    ).rejects.toThrow(
      new TypeError(
        'Invalid column or field name "guild_id; --": use letters, digits and _ (at most 63, not starting with a digit)',
      ),
    );
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);
  });

  it('a row its statement cannot update even under the row lock is an error, and nothing is written', async () => {
    const w = await outboxWorld('vsp_not_updated');
    await w.addGuilds('8');
    await w.pool.query('CREATE SEQUENCE calls');
    // False for the statement, true for the check under the lock, false again for the retry.
    const precondition = sql`nextval('calls') = 2`;
    await expect(
      versionedUpdateStatement(w.pool, w.sync, {
        ...guildRow('8'),
        set: {},
        precondition,
        event: configEvent,
      }),
    ).rejects.toThrow(new Error('versionedUpdateStatement: row 8 not updated under its lock'));
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);
  });

  it('a precondition true under the lock the second time writes through the retry', async () => {
    const w = await outboxWorld('vsp_retry');
    await w.addGuilds('9');
    await w.pool.query('CREATE SEQUENCE calls');
    const result = await versionedUpdateStatement(w.pool, w.sync, {
      ...guildRow('9'),
      set: {},
      precondition: sql`nextval('calls') > 1`,
      also: {
        revision: sql`INSERT INTO config_revisions SELECT guild_id, version, settings FROM updated RETURNING version`,
      },
      event: configEvent,
    });
    expect(result).toMatchObject({ version: 1, also: { revision: [{ version: 1 }] }, published: true });
    await waitFor(() => w.seen.length === 1);
    expect(w.seen[0]).toMatchObject({ guildId: '9', version: 1 });
  });
});
