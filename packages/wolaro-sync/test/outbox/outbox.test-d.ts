import type pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineChannels, SyncClient, snowflake } from '../../src/index.js';
import { enqueue, type OutboxEvent, OutboxRelay, versionedUpdate } from '../../src/pg/index.js';

declare const pool: pg.Pool;
declare const client: pg.PoolClient;
const sync = new SyncClient({ transport: 'memory' });
const channels = defineChannels({
  'ticket:created': { schema: z.object({ guildId: snowflake, ticketId: z.string() }) },
});
const custom = new SyncClient({ transport: 'memory', channels });

describe('outbox types', () => {
  it('types enqueue by channel, custom channels included', () => {
    expectTypeOf(enqueue(client, 'guild:reload', { guildId: '1' })).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error settings is required
    void enqueue(client, 'config:update', { guildId: '1' });
    // @ts-expect-error not a channel
    void enqueue(client, 'nope', {});
    void enqueue(client, 'ticket:created', { guildId: '1', ticketId: 't' }, { channels });
    // @ts-expect-error ticketId must be a string
    void enqueue(client, 'ticket:created', { guildId: '1', ticketId: 1 }, { channels });
  });

  it('types versionedUpdate events from the row and the client channels', () => {
    void versionedUpdate<{ guild_id: string }>(pool, sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '1',
      set: {},
      event: (row) => {
        expectTypeOf(row.guild_id).toEqualTypeOf<string>();
        return { channel: 'guild:reload', payload: { guildId: row.guild_id } };
      },
    });
    // Custom channels: annotate the row in `event` so both Row and the channel map are inferred.
    void versionedUpdate(pool, custom, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '1',
      set: {},
      event: (row: { guild_id: string }) => [
        { channel: 'ticket:created', payload: { guildId: row.guild_id, ticketId: 't' } },
        { channel: 'guild:reload', payload: { guildId: row.guild_id } },
      ],
      beforeCommit: async (_client, row) => {
        expectTypeOf(row.guild_id).toEqualTypeOf<string>();
      },
    });
    void versionedUpdate(pool, sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '1',
      set: {},
      // @ts-expect-error enabled must be a boolean
      event: () => ({
        channel: 'module:toggle',
        payload: { guildId: '1', module: 'welcome', enabled: 'yes' },
      }),
    });
    expectTypeOf<OutboxEvent['channel']>().toEqualTypeOf<
      | 'config:update'
      | 'module:toggle'
      | 'guild:reload'
      | 'permission:revoked'
      | 'command:executed'
      | 'session:revoked'
    >();
  });

  it('OutboxRelay takes any SyncClient', () => {
    expectTypeOf(new OutboxRelay({ pool, sync: custom }).drain()).toEqualTypeOf<Promise<number>>();
  });
});
