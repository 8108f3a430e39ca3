import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { channelSchemas, decodePayload, InvalidPayloadError } from '../src/index.js';
import {
  enqueue,
  enqueueClaimed,
  sql,
  versionedUpdate,
  versionedUpdateStatement,
  withTransaction,
} from '../src/pg/index.js';
import { outboxWorld, useCleanup } from './outbox/helpers.js';

// Publishing is exactly as strict as receiving: a payload every receiver would drop is refused
// where it is produced, before anything is sent or written.

useCleanup();

const GUILD = '123456789012345678';

/** Settings every receiver drops: a prototype-polluting key, at the top or nested. */
// fromEntries: an object literal's `__proto__:` would set the prototype instead of a key.
const POISONED: Record<string, Record<string, unknown>> = Object.fromEntries([
  ['constructor', { constructor: 'x' }],
  ['prototype', { nested: { deeper: [{ prototype: 1 }] } }],
  ['__proto__', JSON.parse('{"nested":{"__proto__":{"polluted":true}}}') as Record<string, unknown>],
]);

interface GuildRow {
  guild_id: string;
  settings: Record<string, unknown>;
  version: number;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('publish-side validation is the receive-side validation', () => {
  it.each(Object.keys(POISONED))(
    'a "%s" key: every receiver drops it, so publish and enqueue refuse it',
    async (name) => {
      const settings = POISONED[name]!;
      const w = await outboxWorld('publish_validation');
      await w.addGuilds(GUILD);
      // The receiving side's verdict on the message as it would be on the wire.
      const received = decodePayload(
        channelSchemas['config:update'],
        JSON.stringify({ guildId: GUILD, settings, version: 1 }),
      );
      expect(received).toMatchObject({ ok: false, reason: expect.stringMatching(/forbidden key/) });

      const published = await rejection(w.sync.publishConfigUpdate({ guildId: GUILD, settings, version: 1 }));
      expect(published).toBeInstanceOf(InvalidPayloadError);
      expect(published).toMatchObject({ code: 'E_INVALID_PAYLOAD' });

      const queued = await rejection(
        withTransaction(w.pool, (client) => enqueue(client, 'config:update', { guildId: GUILD, settings })),
      );
      expect(queued).toBeInstanceOf(InvalidPayloadError);
      const claimed = await rejection(
        withTransaction(w.pool, (client) =>
          enqueueClaimed(client, 'config:update', { guildId: GUILD, settings }),
        ),
      );
      expect(claimed).toBeInstanceOf(InvalidPayloadError);

      const guildRow = { table: 'guilds', idColumn: 'guild_id', id: GUILD } as const;
      const updated = await rejection(
        versionedUpdate(w.pool, w.sync, {
          ...guildRow,
          set: { settings: JSON.stringify(settings) },
          event: (row: GuildRow) => ({
            channel: 'config:update',
            payload: { guildId: row.guild_id, settings: row.settings },
          }),
        }),
      );
      expect(updated).toBeInstanceOf(InvalidPayloadError);

      const statement = await rejection(
        versionedUpdateStatement(w.pool, w.sync, {
          ...guildRow,
          set: { settings: sql`settings || ${JSON.stringify(settings)}::jsonb` },
          event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
        }),
      );
      expect(statement).toBeInstanceOf(InvalidPayloadError);

      // Nothing was written: the row kept its version, the outbox is empty.
      const { rows } = await w.pool.query<{ version: number; settings: unknown }>(
        'SELECT version, settings FROM guilds WHERE guild_id = $1',
        [GUILD],
      );
      expect(rows[0]).toEqual({ version: 0, settings: {} });
      expect(await w.outbox()).toEqual([]);

      // Nothing was sent either: the next valid event is the first one the subscriber sees.
      await w.sync.publishConfigUpdate({ guildId: GUILD, settings: { prefix: 'sentinel' }, version: 1 });
      await waitFor(() => w.seen.length > 0);
      expect(w.seen.map((s) => s.version)).toEqual([1]);
    },
  );

  it('a schema violation is refused with the zod issues, on publish and on enqueue', async () => {
    const w = await outboxWorld('publish_validation_schema');
    const bad = { guildId: 'not-a-snowflake', settings: {} };
    const published = await rejection(w.sync.publishUntyped('config:update', bad));
    expect(published).toBeInstanceOf(InvalidPayloadError);
    const error = published as InvalidPayloadError;
    expect(error.issues).toEqual(['guildId: must be a Discord snowflake (1-20 digits)']);
    expect(error.zodIssues.map((i) => i.path)).toEqual([['guildId']]);

    const queued = await rejection(
      withTransaction(w.pool, (client) => enqueue(client, 'config:update', bad as never)),
    );
    expect(queued).toBeInstanceOf(InvalidPayloadError);
    expect((queued as InvalidPayloadError).zodIssues).toHaveLength(1);
    expect(await w.outbox()).toEqual([]);
  });

  it('a payload over maxPayloadBytes is refused on publish and on enqueue, as receivers would drop it', async () => {
    const w = await outboxWorld('publish_validation_size');
    const small = await w.newSync({ maxPayloadBytes: 1024 });
    const settings = { motd: 'x'.repeat(2000) };
    await expect(small.publishConfigUpdate({ guildId: GUILD, settings })).rejects.toBeInstanceOf(
      InvalidPayloadError,
    );
    await expect(
      withTransaction(w.pool, (client) =>
        enqueue(client, 'config:update', { guildId: GUILD, settings }, { maxPayloadBytes: 1024 }),
      ),
    ).rejects.toThrow(/over 1024 bytes/);
  });

  it('the outbox table itself refuses a forbidden key inserted by hand', async () => {
    const w = await outboxWorld('publish_validation_check');
    await expect(
      w.pool.query(
        `INSERT INTO sync_outbox (channel, payload, event_id) VALUES ('config:update', $1, 'e1')`,
        [JSON.stringify({ guildId: GUILD, settings: { a: { constructor: 1 } } })],
      ),
    ).rejects.toMatchObject({ code: '23514', constraint: 'sync_outbox_payload_keys' });
    // A value (not a key) named like one is fine.
    await w.pool.query(
      `INSERT INTO sync_outbox (channel, payload, event_id) VALUES ('config:update', $1, 'e2')`,
      [JSON.stringify({ guildId: GUILD, settings: { a: 'constructor' } })],
    );
    expect(await w.outbox()).toHaveLength(1);
  });
});
