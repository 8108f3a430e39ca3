import { pruneAuditLog, RetentionJob } from '@wolaro/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// History stays bounded: revisions per guild up to REVISIONS_KEPT (restore keeps working on what
// is kept), command executions pruned by age by a job that skips locked rows and runs on one node.
describe('panel API: history retention', () => {
  let w: TestWorld;
  let token: string;
  const guild = DEMO.guildId;
  const KEPT = 5;

  beforeAll(async () => {
    w = await startWorld({
      label: 'panel_retention',
      config: {
        retention: { revisionsKept: KEPT, revisionMaxAgeDays: 0, auditDays: 30, intervalMs: 600_000 },
        writeRateLimit: { windowMs: 60_000, perUser: 10_000, perGuild: 10_000 },
      },
    });
    token = (await w.tokenFor(DEMO.users.admin)).token;
  });
  afterAll(() => w?.close());

  const revisionVersions = async () =>
    (
      await w.schema.pool.query<{ version: string }>(
        'SELECT version FROM config_revisions WHERE guild_id = $1 ORDER BY version',
        [guild],
      )
    ).rows.map((r) => Number(r.version));

  const restore = (revision: number) =>
    w.request('POST', `/api/panel/guilds/${guild}/revisions/${revision}/restore`, { token, body: {} });

  it('keeps the newest REVISIONS_KEPT revisions of a guild, whatever the write', async () => {
    let last = 0;
    for (let i = 0; i < 8; i++) {
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token,
        body: { settings: { prefix: `${i}!` } },
      });
      expect(res.status).toBe(200);
      last = res.body.version;
    }
    const toggle = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
      token,
      body: { enabled: true },
    });
    expect(toggle.status).toBe(200);
    last = toggle.body.version;
    expect(await revisionVersions()).toEqual([last - 4, last - 3, last - 2, last - 1, last]);

    // Restore still works on a kept revision (and prunes too); a pruned one is gone (404).
    const restored = await restore(last - 4);
    expect(restored.status).toBe(200);
    expect(restored.body.settings.prefix).toBe(`4!`);
    last = restored.body.version;
    expect(await revisionVersions()).toEqual([last - 4, last - 3, last - 2, last - 1, last]);
    const gone = await restore(last - 5);
    expect(gone.status).toBe(404);
    const listed = await w.request('GET', `/api/panel/guilds/${guild}/revisions?limit=50`, { token });
    expect(listed.body.revisions).toHaveLength(KEPT);
  });

  it('the retention job deletes command executions older than the limit, skipping locked rows', async () => {
    const other = '555555555555555501';
    await w.schema.pool.query(
      `INSERT INTO audit_log (guild_id, command, executor_id, result, created_at)
       SELECT $1, 'old' || i, $2, 'success', now() - interval '31 days' FROM generate_series(1, 25) AS i`,
      [other, DEMO.users.admin],
    );
    await w.schema.pool.query(
      `INSERT INTO audit_log (guild_id, command, executor_id, result, created_at)
       VALUES ($1, 'recent', $2, 'success', now() - interval '29 days'), ($1, 'now', $2, 'success', now())`,
      [other, DEMO.users.admin],
    );
    // Another session holds one old row: the job must not wait for it (SKIP LOCKED).
    const locker = new pg.Client({ connectionString: w.schema.connectionString });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query("SELECT 1 FROM audit_log WHERE command = 'old1' FOR UPDATE");
      const job = new RetentionJob(w.api.db.pool, {
        auditMaxAgeMs: 30 * 86_400_000,
        revisionsKept: KEPT,
        batchSize: 10,
      });
      const result = await job.runOnce();
      expect(result).toMatchObject({ skipped: false, audit: 24 });
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }
    const left = await w.schema.pool.query<{ command: string }>(
      'SELECT command FROM audit_log WHERE guild_id = $1 ORDER BY id',
      [other],
    );
    expect(left.rows.map((r) => r.command)).toEqual(['old1', 'recent', 'now']);
    expect(await pruneAuditLog(w.schema.pool, 30 * 86_400_000)).toBe(1);
  });

  it('runs on one node at a time: a job finding the lock held skips the round', async () => {
    const holder = new pg.Client({ connectionString: w.schema.connectionString });
    await holder.connect();
    try {
      const key = `${0x5750414e}, hashtext(current_schema() || ':retention')`;
      expect((await holder.query(`SELECT pg_try_advisory_lock(${key}) AS ok`)).rows[0].ok).toBe(true);
      const job = new RetentionJob(w.api.db.pool);
      expect(await job.runOnce()).toEqual({ skipped: true, revisions: 0, audit: 0 });
      await holder.query(`SELECT pg_advisory_unlock(${key})`);
      expect((await job.runOnce()).skipped).toBe(false);
    } finally {
      await holder.end();
    }
  });

  it('the job also enforces the count on revisions written past it (e.g. after lowering the limit)', async () => {
    const before = await revisionVersions();
    expect(before.length).toBe(KEPT);
    const job = new RetentionJob(w.api.db.pool, { revisionsKept: 2, auditMaxAgeMs: 0 });
    expect(await job.runOnce()).toMatchObject({ skipped: false, revisions: KEPT - 2 });
    expect(await revisionVersions()).toEqual(before.slice(-2));
  });
});
