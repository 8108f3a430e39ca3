import { describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../src/index.js';
import {
  PreconditionFailedError,
  RowNotFoundError,
  sql,
  versionedUpdateStatement,
} from '../../src/pg/index.js';
import { type OutboxWorld, outboxWorld, recordPoolStatements, useCleanup } from './helpers.js';

useCleanup();

/** A world with a `grants` table: the precondition of a write is a granted row for its guild. */
async function world(label: string): Promise<OutboxWorld> {
  const w = await outboxWorld(label);
  await w.pool.query('CREATE TABLE grants (guild_id text PRIMARY KEY, ok boolean NOT NULL)');
  return w;
}

const grant = (w: OutboxWorld, guildId: string, ok: boolean) =>
  w.pool.query(
    'INSERT INTO grants (guild_id, ok) VALUES ($1, $2) ON CONFLICT (guild_id) DO UPDATE SET ok = $2',
    [guildId, ok],
  );

const write = (w: OutboxWorld, guildId: string, prefix: string, expectedVersion?: number) =>
  versionedUpdateStatement(w.pool, w.sync, {
    table: 'guilds',
    idColumn: 'guild_id',
    id: guildId,
    set: { settings: sql`settings || ${JSON.stringify({ prefix })}::jsonb` },
    expectedVersion,
    precondition: sql`EXISTS (SELECT 1 FROM grants WHERE guild_id = ${guildId} AND ok)`,
    also: { revision: sql`INSERT INTO config_revisions SELECT guild_id, version, settings FROM updated` },
    event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
  });

async function state(w: OutboxWorld, guildId: string) {
  const guild = await w.pool.query<{ version: number; settings: Record<string, unknown> }>(
    'SELECT version, settings FROM guilds WHERE guild_id = $1',
    [guildId],
  );
  const revisions = await w.pool.query('SELECT 1 FROM config_revisions WHERE guild_id = $1', [guildId]);
  return { guild: guild.rows[0], revisions: revisions.rowCount, outbox: (await w.outbox()).length };
}

describe('versionedUpdateStatement({ precondition })', () => {
  it('writes when the precondition holds, in the same single statement', async () => {
    const w = await world('pre_holds');
    await w.addGuilds('1');
    await grant(w, '1', true);
    const recorded = recordPoolStatements(w.pool);
    const { statements } = recorded;
    const result = await write(w, '1', '!');
    expect(result).toMatchObject({ version: 1, published: true });
    const writes = statements.filter((s) => s.includes('UPDATE') && s.includes('"guilds"'));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain('EXISTS (SELECT 1 FROM grants');
    recorded.stop();
    expect(await state(w, '1')).toEqual({
      guild: { version: 1, settings: { prefix: '!' } },
      revisions: 1,
      outbox: 1,
    });
  });

  it('writes nothing and rejects with PreconditionFailedError when it does not hold', async () => {
    const w = await world('pre_fails');
    await w.addGuilds('2');
    await grant(w, '2', false);
    const err = await write(w, '2', '?').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect(err).toMatchObject({
      code: 'E_PRECONDITION_FAILED',
      table: 'guilds',
      entityId: '2',
      message: 'The precondition of the write of guilds 2 does not hold',
    });
    // No grant row at all is the same: the expression is false.
    await w.pool.query('DELETE FROM grants');
    await expect(write(w, '2', '?')).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await state(w, '2')).toEqual({ guild: { version: 0, settings: {} }, revisions: 0, outbox: 0 });
    expect(w.seen).toEqual([]);

    // Granted again: the same call writes.
    await grant(w, '2', true);
    await expect(write(w, '2', '?')).resolves.toMatchObject({ version: 1 });
  });

  it('a missing row and a stale version are reported before the precondition', async () => {
    const w = await world('pre_order');
    await w.addGuilds('3');
    await grant(w, '3', false);
    await expect(write(w, '404', '?')).rejects.toBeInstanceOf(RowNotFoundError);
    const stale = await write(w, '3', '?', 7).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({ expectedVersion: 7, currentVersion: 0 });
    // With the right version, only the precondition is left to fail.
    await expect(write(w, '3', '?', 0)).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('concurrent writers that all hold the precondition all write, each with its own version', async () => {
    const w = await world('pre_race');
    await w.addGuilds('4');
    await grant(w, '4', true);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => write(w, '4', String(i))));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(await state(w, '4')).toMatchObject({ guild: { version: 20 }, revisions: 20, outbox: 20 });
  });

  it('a precondition withdrawn while writers race stops the writes that come after it', async () => {
    const w = await world('pre_withdrawn');
    await w.addGuilds('5');
    await grant(w, '5', true);
    await write(w, '5', 'a');
    await grant(w, '5', false);
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => write(w, '5', `b${i}`)));
    expect(
      outcomes.every((o) => o.status === 'rejected' && o.reason instanceof PreconditionFailedError),
    ).toBe(true);
    expect(await state(w, '5')).toMatchObject({
      guild: { version: 1, settings: { prefix: 'a' } },
      outbox: 1,
    });
  });
});
