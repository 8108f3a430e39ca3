import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { DEMO, useWorld } from './helpers.js';

const guild = DEMO.guildId;

interface RevisionRow {
  version: string;
  change: string;
  settings: Record<string, unknown>;
  modules: Record<string, { enabled: boolean }>;
}

describe('concurrent writes to one guild (settings in one statement, modules in a transaction)', () => {
  const w = useWorld('panel_concurrent');

  it('every write gets its own version, revision and published event; revisions copy the modules of their version', async () => {
    const before = (await w.request('GET', `/api/panel/guilds/${guild}`, { token: w.adminToken })).body
      .version as number;
    const settingsWrites = Array.from({ length: 30 }, (_, i) =>
      w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token: w.adminToken,
        body: { settings: { prefix: `p${i}` } },
      }),
    );
    const moduleWrites = Array.from({ length: 10 }, (_, i) =>
      w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
        token: w.adminToken,
        body: { enabled: i % 2 === 0 },
      }),
    );
    const responses = await Promise.all([...settingsWrites, ...moduleWrites]);
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    const versions = responses.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => before + 1 + i));

    const { pool } = w.schema;
    const { rows: guildRow } = await pool.query<{ settings: Record<string, unknown>; version: string }>(
      'SELECT settings, version FROM guilds WHERE guild_id = $1',
      [guild],
    );
    expect(Number(guildRow[0]?.version)).toBe(before + 40);

    // Walk the revisions in version order: a settings revision has the modules of the version
    // before it and changes only the prefix, a module revision changes only `welcome`.
    const { rows: revisions } = await pool.query<RevisionRow>(
      `SELECT version::text AS version, change, settings, modules FROM config_revisions
        WHERE guild_id = $1 AND version > $2 ORDER BY version::bigint`,
      [guild, before],
    );
    expect(revisions.map((r) => Number(r.version))).toEqual(versions);
    const { rows: previous } = await pool.query<RevisionRow>(
      'SELECT version::text AS version, change, settings, modules FROM config_revisions WHERE guild_id = $1 AND version = $2',
      [guild, before],
    );
    let last = previous[0]!;
    for (const revision of revisions) {
      if (revision.change === 'settings') {
        expect(revision.modules).toEqual(last.modules);
        expect(revision.settings['prefix']).toMatch(/^p\d+$/);
        expect({ ...revision.settings, prefix: '' }).toEqual({ ...last.settings, prefix: '' });
      } else {
        expect(revision.change).toBe('module:welcome');
        expect({ ...revision.modules, welcome: undefined }).toEqual({ ...last.modules, welcome: undefined });
        expect(revision.settings).toEqual(last.settings);
      }
      last = revision;
    }
    expect(guildRow[0]?.settings).toEqual(last.settings);

    // One event per write, each published once, by its writer.
    await waitFor(async () => {
      const { rows } = await pool.query<{ pending: string }>(
        `SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending FROM ${OUTBOX_TABLE} WHERE guild_id = $1`,
        [guild],
      );
      return rows[0]?.pending === '0';
    });
    const { rows: outbox } = await pool.query<{ version: string; attempts: number; channel: string }>(
      `SELECT version::text AS version, attempts, channel FROM ${OUTBOX_TABLE} WHERE guild_id = $1 AND version > $2 ORDER BY version::bigint`,
      [guild, before],
    );
    expect(outbox.map((r) => Number(r.version))).toEqual(versions);
    expect(outbox.every((r) => r.attempts === 1)).toBe(true);
    expect(outbox.filter((r) => r.channel === 'config:update')).toHaveLength(30);
  });
});
