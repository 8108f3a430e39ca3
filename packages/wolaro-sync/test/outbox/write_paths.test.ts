import { captureLogger, redisUrl, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineChannels,
  InvalidPayloadError,
  SyncClient,
  snowflake,
  UnknownChannelError,
  VersionConflictError,
} from '../../src/index.js';
import {
  enqueue,
  enqueueClaimed,
  enqueueClaimedMany,
  OutboxRelay,
  RowNotFoundError,
  versionedUpdate,
  withTransaction,
} from '../../src/pg/index.js';
import {
  defer,
  type GuildRow,
  type OutboxWorld,
  outboxWorld,
  useCleanup,
  versionsOf,
  wakeCounter,
} from './helpers.js';

useCleanup();

const ticketChannels = defineChannels({
  'ticket:created': {
    schema: z.object({ guildId: snowflake, ticketId: z.string(), version: z.number().optional() }),
  },
});

/** claimed_until - created_at of each row, in whole seconds (null when unclaimed), in id order. */
async function claims(w: OutboxWorld): Promise<(number | null)[]> {
  const { rows } = await w.pool.query<{ claim: number | null }>(
    'SELECT round(extract(epoch FROM claimed_until - created_at))::int AS claim FROM sync_outbox ORDER BY id',
  );
  return rows.map((r) => r.claim);
}

describe('enqueue() columns', () => {
  it('fills guild_id and version from the payload when they are there, and keeps a given eventId', async () => {
    const w = await outboxWorld('wp_columns');
    await withTransaction(w.pool, async (client) => {
      await enqueue(client, 'session:revoked', { sessionId: 's-1', userId: '2', reason: 'logout' });
      await enqueue(client, 'config:update', { guildId: '3', settings: {}, version: 4, eventId: 'given-id' });
      await enqueue(client, 'guild:reload', { guildId: '5' });
    });
    const rows = await w.outbox();
    expect(rows.map((r) => [r.channel, r.guild_id, r.version])).toEqual([
      ['session:revoked', null, null],
      ['config:update', '3', '4'],
      ['guild:reload', '5', null],
    ]);
    expect(rows[1]).toMatchObject({ event_id: 'given-id', payload: { eventId: 'given-id' } });
    expect(rows[0]?.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[0]?.event_id).not.toBe(rows[2]?.event_id);
  });

  it('refuses a channel name inherited from Object, with or without channels of its own', async () => {
    const w = await outboxWorld('wp_inherited');
    for (const channels of [undefined, ticketChannels]) {
      const err = await withTransaction(w.pool, (client) =>
        enqueue(client, 'toString' as 'guild:reload', { guildId: '1' }, channels ? { channels } : {}),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownChannelError);
    }
    expect(await w.outbox()).toEqual([]);
  });

  it('enqueueClaimed claims for claimMs (10 s unless given) and refuses a bad claim with its value', async () => {
    const w = await outboxWorld('wp_claimed');
    await withTransaction(w.pool, async (client) => {
      await enqueueClaimed(client, 'guild:reload', { guildId: '6' });
      await enqueueClaimed(client, 'guild:reload', { guildId: '6' }, { claimMs: 120_000 });
      await enqueue(client, 'guild:reload', { guildId: '6' });
    });
    expect(await claims(w)).toEqual([10, 120, null]);
    await expect(
      withTransaction(w.pool, (client) =>
        enqueueClaimed(client, 'guild:reload', { guildId: '6' }, { claimMs: 0 }),
      ),
    ).rejects.toThrow(
      new TypeError('enqueueClaimed: claimMs must be a positive number of milliseconds, got 0'),
    );
  });

  it('takes guild_id only from a string guildId and version only from a numeric one', async () => {
    const w = await outboxWorld('wp_column_types');
    // A channel whose guild id is a number and whose version is a release name.
    const releases = defineChannels({
      'release:out': { schema: z.object({ guildId: z.number().int(), version: z.string() }) },
    });
    const payload = { guildId: 42, version: '1.4.0' };
    await withTransaction(w.pool, async (client) => {
      await enqueue(client, 'release:out', payload, { channels: releases });
      await enqueueClaimed(client, 'release:out', payload, { channels: releases });
      await enqueueClaimedMany(client, [{ channel: 'release:out', payload }], { channels: releases });
    });
    const rows = await w.outbox();
    expect(rows.map((r) => [r.guild_id, r.version])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(rows.map((r) => r.payload)).toEqual(
      rows.map((r) => ({ guildId: 42, version: '1.4.0', eventId: r.event_id })),
    );
  });
});

describe('enqueueClaimedMany()', () => {
  it('fills the columns of each event, with custom channels, claimed for claimMs', async () => {
    const w = await outboxWorld('wp_many');
    const events = await withTransaction(w.pool, (client) =>
      enqueueClaimedMany(
        client,
        [
          { channel: 'session:revoked', payload: { sessionId: 's-2', userId: '2', reason: 'expired' } },
          { channel: 'config:update', payload: { guildId: '7', settings: {}, version: 8, eventId: 'mine' } },
          { channel: 'ticket:created', payload: { guildId: '9', ticketId: 't-1' } },
        ],
        { channels: ticketChannels, claimMs: 60_000 },
      ),
    );
    const rows = await w.outbox();
    expect(events.map((e) => [e.id, e.channel])).toEqual(rows.map((r) => [r.id, r.channel]));
    expect(rows.map((r) => [r.guild_id, r.version, r.event_id === r.payload['eventId']])).toEqual([
      [null, null, true],
      ['7', '8', true],
      ['9', null, true],
    ]);
    expect(rows[1]?.event_id).toBe('mine');
    expect(events[2]?.payload).toEqual(rows[2]?.payload);
    expect(await claims(w)).toEqual([60, 60, 60]);
    const defaults = await withTransaction(w.pool, (client) =>
      enqueueClaimedMany(client, [{ channel: 'guild:reload', payload: { guildId: '10' } }]),
    );
    expect(defaults).toHaveLength(1);
    expect((await claims(w))[3]).toBe(10);
  });

  it('an empty list returns no event without sending a statement', async () => {
    const w = await outboxWorld('wp_many_empty');
    const sent: unknown[] = [];
    const events = await withTransaction(w.pool, (client) => {
      const query = client.query.bind(client);
      client.query = ((...args: Parameters<typeof query>) => {
        sent.push(args[0]);
        return query(...args);
      }) as typeof client.query;
      return enqueueClaimedMany(client, []).finally(() => {
        client.query = query;
      });
    });
    expect(events).toEqual([]);
    expect(sent).toEqual([]);
    expect(await w.outbox()).toEqual([]);
  });

  it('refuses a bad claim, an unknown channel and an oversized payload, writing nothing', async () => {
    const w = await outboxWorld('wp_many_bad');
    const one = [{ channel: 'guild:reload' as const, payload: { guildId: '11', reason: 'x'.repeat(300) } }];
    for (const claimMs of [0, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(
        withTransaction(w.pool, (client) => enqueueClaimedMany(client, one, { claimMs })),
      ).rejects.toThrow(
        new TypeError(
          `enqueueClaimedMany: claimMs must be a positive number of milliseconds, got ${claimMs}`,
        ),
      );
    }
    await expect(
      withTransaction(w.pool, (client) =>
        enqueueClaimedMany(client, [
          { channel: 'ticket:created', payload: { guildId: '1', ticketId: 't' } },
        ] as never),
      ),
    ).rejects.toBeInstanceOf(UnknownChannelError);
    await expect(
      withTransaction(w.pool, (client) => enqueueClaimedMany(client, one, { maxPayloadBytes: 200 })),
    ).rejects.toBeInstanceOf(InvalidPayloadError);
    expect(await w.outbox()).toEqual([]);
  });
});

describe('versionedUpdate() paths', () => {
  const update = (w: OutboxWorld, id: string, extra: Record<string, unknown> = {}) =>
    versionedUpdate<GuildRow>(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id,
      set: { settings: { n: 1 } },
      event: (row) => ({
        channel: 'config:update',
        payload: { guildId: row.guild_id, settings: row.settings },
      }),
      ...extra,
    });

  it('a missing row is RowNotFoundError naming the table and id', async () => {
    const w = await outboxWorld('wp_missing');
    const err = await update(w, '404').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RowNotFoundError);
    expect(err).toMatchObject({
      code: 'E_ROW_NOT_FOUND',
      table: 'guilds',
      entityId: '404',
      message: 'No row in guilds with id 404',
    });
    const big = await update(w, 12n as never).catch((e: unknown) => e);
    expect(big).toMatchObject({ entityId: '12' });
  });

  it('a stale version is VersionConflictError with both versions', async () => {
    const w = await outboxWorld('wp_conflict');
    await w.addGuilds('12');
    await update(w, '12');
    const err = await update(w, '12', { expectedVersion: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({ entityId: '12', expectedVersion: 0, currentVersion: 1 });
    expect((await update(w, '12', { expectedVersion: 1 })).version).toBe(2);
  });

  it('tells a stale version without waiting for a row lock another transaction holds', async () => {
    const w = await outboxWorld('wp_conflict_locked');
    await w.addGuilds('21');
    await update(w, '21');
    const holder = await w.pool.connect();
    defer(() => holder.release());
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM guilds WHERE guild_id = '21' FOR UPDATE`);
    // The stale write matches no row, so it never needs the lock: it is refused at once, and a lock
    // timeout (55P03) would mean it queued behind the holder.
    const err = await update(w, '21', { expectedVersion: 0, lockTimeoutMs: 200 }).catch((e: unknown) => e);
    await holder.query('ROLLBACK');
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({ entityId: '21', expectedVersion: 0, currentVersion: 1 });
  });

  it('an id left empty by an unchecked caller finds no row: RowNotFoundError, nothing written', async () => {
    const w = await outboxWorld('wp_null_id');
    await w.addGuilds('22');
    for (const id of [null, undefined]) {
      const err = await update(w, id as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RowNotFoundError);
      expect(err).toMatchObject({ table: 'guilds', entityId: String(id) });
    }
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);
  });

  it('refuses to set the id or the version column, naming the caller and the column', async () => {
    const w = await outboxWorld('wp_refuse_set');
    await w.addGuilds('13');
    for (const [column, versionColumn] of [
      ['guild_id', undefined],
      ['version', undefined],
      ['rev', 'rev'],
    ] as const) {
      await expect(
        update(w, '13', { set: { [column]: 1 }, ...(versionColumn ? { versionColumn } : {}) }),
      ).rejects.toThrow(
        new TypeError(`versionedUpdate: "${column}" cannot be set (it is the id or the version column)`),
      );
    }
    await expect(update(w, '13', { table: 'a.b.c' })).rejects.toThrow(
      new TypeError(
        'Invalid table "a.b.c": use letters, digits and _ (at most 63, not starting with a digit), optionally as schema.table',
      ),
    );
    await expect(update(w, '13', { idColumn: `a${'b'.repeat(63)}` })).rejects.toThrow(
      new TypeError(
        `Invalid id column "a${'b'.repeat(63)}": use letters, digits and _ (at most 63, not starting with a digit)`,
      ),
    );
    await expect(update(w, '13', { versionColumn: 'rev; --' })).rejects.toThrow(
      new TypeError(
        'Invalid version column "rev; --": use letters, digits and _ (at most 63, not starting with a digit)',
      ),
    );
    expect(await w.outbox()).toEqual([]);
  });

  it('with publish: false leaves the rows (unclaimed) to the relay and wakes it', async () => {
    const w = await outboxWorld('wp_no_fast_path');
    await w.addGuilds('14');
    const relay = wakeCounter();
    const result = await update(w, '14', { publish: false, relay });
    expect(result).toMatchObject({ version: 1, published: false });
    expect(relay.wakes).toBe(1);
    expect(await w.outbox()).toMatchObject([{ id: result.outboxIds[0], published: false, attempts: 0 }]);
    expect(await claims(w)).toEqual([null]);
  });

  it('passes claimMs to its claimed rows', async () => {
    const w = await outboxWorld('wp_claim_ms');
    await w.addGuilds('15');
    // Read inside the transaction: after COMMIT the fast path marks or releases the row.
    let claim: number | undefined;
    await versionedUpdate<GuildRow>(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '15',
      set: {},
      claimMs: 90_000,
      event: (row) => ({ channel: 'guild:reload', payload: { guildId: row.guild_id } }),
      beforeCommit: async (client) => {
        const { rows } = await client.query<{ claim: number }>(
          'SELECT round(extract(epoch FROM claimed_until - created_at))::int AS claim FROM sync_outbox',
        );
        claim = rows[0]?.claim;
      },
    });
    expect(claim).toBe(90);
  });

  it('fills in the version only for channels that have one and only when the event left it out', async () => {
    const w = await outboxWorld('wp_with_version');
    await w.addGuilds('16');
    const sync = (await w.newSync({ channels: ticketChannels })) as SyncClient<typeof ticketChannels>;
    const result = await versionedUpdate(w.pool, sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '16',
      set: {},
      event: (row: GuildRow) => [
        { channel: 'config:update', payload: { guildId: row.guild_id, settings: {}, version: 40 } },
        { channel: 'guild:reload', payload: { guildId: row.guild_id } },
        { channel: 'ticket:created', payload: { guildId: row.guild_id, ticketId: 't' } },
      ],
    });
    expect(result.outboxIds).toHaveLength(3);
    const rows = await w.outbox();
    expect(rows.map((r) => [r.channel, r.payload['version']])).toEqual([
      ['config:update', 40],
      ['guild:reload', undefined],
      ['ticket:created', 1],
    ]);
  });

  it('adds no version to a channel without one, even when its schema keeps unknown keys', async () => {
    const w = await outboxWorld('wp_loose_channel');
    await w.addGuilds('23');
    const notes = defineChannels({
      'note:added': { schema: z.looseObject({ guildId: snowflake, note: z.string() }) },
    });
    const sync = (await w.newSync({ channels: notes })) as SyncClient<typeof notes>;
    await versionedUpdate(w.pool, sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '23',
      set: {},
      event: (row: GuildRow) => ({ channel: 'note:added', payload: { guildId: row.guild_id, note: 'hi' } }),
    });
    const [row] = await w.outbox();
    expect(row?.version).toBeNull();
    expect(row?.payload).toEqual({ guildId: '23', note: 'hi', eventId: row?.event_id });
  });

  it('refuses a channel name inherited from Object as an unknown channel, writing nothing', async () => {
    const w = await outboxWorld('wp_vu_inherited');
    await w.addGuilds('24');
    const err = await update(w, '24', {
      event: (row: GuildRow) => ({ channel: 'toString', payload: { guildId: row.guild_id } }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownChannelError);
    expect((await w.pool.query('SELECT version FROM guilds')).rows).toEqual([{ version: 0 }]);
    expect(await w.outbox()).toEqual([]);
  });

  it('when afterCommit throws without the fast path, the relay is woken and the rows stay unclaimed', async () => {
    const w = await outboxWorld('wp_after_commit');
    await w.addGuilds('17');
    const relay = wakeCounter();
    await expect(
      update(w, '17', {
        publish: false,
        relay,
        afterCommit: () => {
          throw 'not an Error';
        },
      }),
    ).rejects.toBe('not an Error');
    expect(relay.wakes).toBe(1);
    expect(await w.outbox()).toMatchObject([{ published: false, attempts: 0, last_error: null }]);
    // With the fast path the reason is recorded on the released rows, whatever was thrown.
    await expect(
      update(w, '17', {
        relay,
        afterCommit: () => {
          throw 'not an Error';
        },
      }),
    ).rejects.toBe('not an Error');
    expect(relay.wakes).toBe(2);
    expect((await w.outbox())[1]).toMatchObject({ last_error: 'afterCommit threw: not an Error' });
  });

  it('when afterCommit throws without the fast path and no relay is given, the call rejects with its error', async () => {
    const w = await outboxWorld('wp_after_commit_no_relay');
    await w.addGuilds('25');
    const thrown = new Error('after commit failed');
    await expect(
      update(w, '25', {
        publish: false,
        afterCommit: () => {
          throw thrown;
        },
      }),
    ).rejects.toBe(thrown);
    expect(await w.outbox()).toMatchObject([{ published: false, attempts: 0, last_error: null }]);
  });

  it('an event list that is empty writes no outbox row and reports nothing published', async () => {
    const w = await outboxWorld('wp_no_events');
    await w.addGuilds('18');
    const result = await update(w, '18', { event: () => [] });
    expect(result).toMatchObject({ version: 1, outboxIds: [], published: false });
    expect(await w.outbox()).toEqual([]);
  });

  it('logs a failed fast-path publish through the logger it is given', async () => {
    const w = await outboxWorld('wp_logger');
    await w.addGuilds('19');
    const notConnected = new SyncClient({ redis: redisUrl(), keyPrefix: w.keyPrefix, listen: false });
    defer(() => notConnected.close());
    const logger = captureLogger();
    const result = await versionedUpdate<GuildRow>(w.pool, notConnected, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '19',
      set: {},
      event: (row) => ({ channel: 'guild:reload', payload: { guildId: row.guild_id } }),
      logger,
    });
    expect(result.published).toBe(false);
    expect(
      logger.has(`Publish after commit failed, outbox row ${result.outboxIds[0]} left to the relay`, 'warn'),
    ).toBe(true);
  });
});

describe('publishing pending rows', () => {
  it('stops at a failed row: earlier rows marked, the failed one records a shortened error, later ones stay pending', async () => {
    const w = await outboxWorld('wp_pass_fail');
    const ids: string[] = [];
    for (let v = 1; v <= 3; v++) {
      ids.push(
        await withTransaction(w.pool, (client) =>
          enqueue(client, 'config:update', { guildId: '20', settings: {}, version: v }),
        ),
      );
    }
    let calls = 0;
    const stand = {
      publishUntyped: () => (++calls === 2 ? Promise.reject(new Error('e'.repeat(1500))) : Promise.resolve()),
    } as unknown as SyncClient;
    const relay = new OutboxRelay({ pool: w.pool, sync: stand, notify: false });
    defer(() => relay.stop());
    await expect(relay.drain()).rejects.toThrow('e'.repeat(1500));
    const rows = await w.outbox();
    expect(rows.map((r) => [r.published, r.attempts, r.last_error?.length ?? null])).toEqual([
      [true, 1, null],
      [false, 1, 1000],
      [false, 0, null],
    ]);
    expect(relay.stats()).toMatchObject({ published: 1, failures: 1 });
    // The next pass sends the rest in order.
    expect(await new OutboxRelay({ pool: w.pool, sync: w.sync, notify: false }).drain()).toBe(2);
    await waitFor(() => w.seen.length === 2);
    expect(versionsOf(w.seen, '20')).toEqual([2, 3]);
  });
});
