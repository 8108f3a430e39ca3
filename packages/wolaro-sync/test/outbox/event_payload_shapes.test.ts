import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../src/index.js';
import { versionedUpdate } from '../../src/pg/index.js';
import { outboxWorld, useCleanup } from './helpers.js';

useCleanup();

// An event whose payload is not an object (a bug in the caller's `event` callback) is refused by
// the channel's schema like any other bad payload: an InvalidPayloadError, and nothing is written.

describe('versionedUpdate() with an event payload that is not an object', () => {
  it.each([
    ['null', null],
    ['a string', 'guild 17'],
  ])('%s: refused with an InvalidPayloadError, the row and the outbox unchanged', async (_label, payload) => {
    const w = await outboxWorld('wp_payload_shape');
    await w.addGuilds('17');
    const outcome = versionedUpdate(w.pool, w.sync, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: '17',
      set: { settings: { prefix: '?' } },
      event: () => [{ channel: 'config:update', payload: payload as never }],
    });
    await expect(outcome).rejects.toBeInstanceOf(InvalidPayloadError);
    const { rows } = await w.pool.query<{ version: number }>(
      "SELECT version FROM guilds WHERE guild_id = '17'",
    );
    expect(rows[0]?.version).toBe(0);
    expect(await w.outbox()).toEqual([]);
  });
});
