import { listAuditLog, recordCommands } from '@wolaro/db';
import type { PayloadOf } from '@wolaro/sync';
import { httpControl, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLog } from '../src/command_log.js';
import { DEMO, deleteKeys, type Harness, slash, startHarness, testConfig } from './harness.js';

const guildId = DEMO.guildId;

// The bot records each command run and announces it in one transaction: an event is only ever
// seen once its audit row is readable; floods are recorded in full but announced coalesced.
describe('reference bot: command log', () => {
  const keyPrefix = uniquePrefix('bot_cmdlog');
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(
      'bot_cmdlog',
      testConfig(redisUrl(), keyPrefix, {
        commandEventsPerSecond: 1000,
        // Long enough that the answer below can only be let go by the commit.
        commandReplyWaitMs: 30_000,
      }),
    );
  });
  afterAll(async () => {
    await h?.close();
    await deleteKeys(redisUrl(), keyPrefix);
  });

  it('command:executed of a slash command arrives only once its audit row is there (30 runs)', async () => {
    const pings = async () =>
      Number(
        (
          await h.db.pool.query(
            "SELECT count(*) AS n FROM audit_log WHERE guild_id = $1 AND command = 'ping' AND executor_id = $2",
            [guildId, DEMO.users.owner],
          )
        ).rows[0].n,
      );
    const baseline = await pings();
    const checks: Promise<boolean>[] = [];
    const off = h.sync.subscribe('command:executed', (event) => {
      if (event.command !== 'ping') return;
      // Inside the handler, as a panel refetching its log would: the n-th event finds n rows.
      const nth = checks.length + 1;
      checks.push(pings().then((rows) => rows >= baseline + nth));
    });
    try {
      for (let i = 0; i < 30; i++) {
        const before = checks.length;
        const view = await slash(h.emulator, 'ping', DEMO.users.owner);
        expect(view.response?.type).toBe(4);
        await waitFor(() => checks.length > before, { message: `command:executed of run ${i}` });
      }
      const found = await Promise.all(checks);
      expect(found).toHaveLength(30);
      expect(found.every(Boolean)).toBe(true);
    } finally {
      off();
    }
  });

  it('a flood is recorded in full and announced coalesced: at most N events per guild and second', async () => {
    const events: PayloadOf<'command:executed'>[] = [];
    let sentinel = false;
    const off = h.sync.subscribe('command:executed', (event) => {
      if (event.command === '!sentinel') sentinel = true;
      else if (event.command.startsWith('!flood')) events.push(event);
    });
    const log = new CommandLog(h.db.pool, { sync: h.sync }, { eventsPerSecond: 3 }, h.logger);
    try {
      const runs = Array.from({ length: 12 }, (_, i) => ({
        guildId,
        command: `!flood${i}`,
        executorId: DEMO.users.member,
        executor: 'nina_member',
        result: 'denied' as const,
      }));
      await Promise.all(runs.map((run) => log.record(run)));
      // Every run is in the audit log.
      const rows = await listAuditLog(h.db.pool, guildId, 50);
      for (const run of runs) expect(rows.filter((r) => r.command === run.command)).toHaveLength(1);
      // The held announcement goes out at the end of the second (or on close).
      await log.close();
      // Sentinel after it on the same bus: once it is here, every flood event is too.
      await h.sync.publishCommandExecuted(guildId, '!sentinel', DEMO.users.member, 'success');
      await waitFor(() => sentinel, { message: 'the sentinel' });
    } finally {
      off();
    }
    const commands = events.map((e) => e.command);
    expect(log.coalesced).toBeGreaterThan(0);
    expect(commands.length).toBeLessThan(12);
    // The runs with an event of their own, plus one announcement for what was held back.
    expect(commands.length).toBeGreaterThanOrEqual(12 - log.coalesced + 1);
    expect(new Set(commands).size).toBe(commands.length);
    // The latest run is announced: a panel showing the events ends on the newest row.
    expect(commands).toContain('!flood11');
  });

  /**
   * Sessions whose audit insert waits on a lock. Asked on a connection outside the locking
   * transaction: inside one, pg_stat_activity is a snapshot that does not move.
   */
  const waitingInserts = () =>
    h.db.pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO audit_log%'",
    );

  it('a slash command is answered only once its audit row is committed', async () => {
    const admin = new pg.Client({ connectionString: h.schema.connectionString });
    await admin.connect();
    const control = httpControl(h.emulator.url);
    try {
      // Inserts into audit_log wait while this lock is held.
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE');
      const { id } = await control.createInteraction({
        guildId,
        channelId: DEMO.channels.general,
        userId: DEMO.users.admin,
        command: 'ping',
        options: {},
      });
      // The bot ran the command and is now writing its row...
      await waitFor(async () => (await waitingInserts()).rows.length === 1, {
        message: 'the audit insert waiting on the lock',
      });
      // ...and has not answered yet.
      expect((await control.interaction(id)).response ?? null).toBeNull();
      await admin.query('COMMIT');
      const view = await waitFor(
        async () => {
          const v = await control.interaction(id);
          return v.response ? v : undefined;
        },
        { message: 'the answer once the row is committed' },
      );
      expect(view.response?.type).toBe(4);
      const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1', [
        id,
      ]);
      expect(rows[0].n).toBe(1);
    } finally {
      await admin.query('ROLLBACK').catch(() => {});
      await admin.end();
    }
  });

  it('a batch whose connection is terminated is tried again: every run ends recorded exactly once', async () => {
    const pool = new pg.Pool({ connectionString: h.schema.connectionString, max: 2 });
    pool.on('error', () => {});
    const admin = new pg.Client({ connectionString: h.schema.connectionString });
    await admin.connect();
    const log = new CommandLog(pool, { sync: h.sync }, {}, h.logger);
    try {
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE');
      const runs = Array.from({ length: 20 }, (_, i) => ({
        guildId,
        command: '!retry',
        executorId: DEMO.users.member,
        executor: 'nina_member',
        result: 'success' as const,
        runId: `retry-${keyPrefix}-${i}`,
      }));
      const recorded = Promise.all(runs.map((run) => log.record(run)));
      const waiting = async () => (await waitingInserts()).rows;
      await waitFor(async () => (await waiting()).length > 0, { message: 'the batch waiting on the lock' });
      // The connection dies mid-transaction (a restart, a failover, pg_terminate_backend).
      for (const { pid } of await waiting()) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await admin.query('COMMIT');
      await recorded;
      expect(h.logger.has('Could not record command runs, retrying', 'warn')).toBe(true);
      const { rows } = await h.db.pool.query<{ run_id: string; n: number }>(
        'SELECT run_id, count(*)::int AS n FROM audit_log WHERE run_id = ANY($1) GROUP BY run_id',
        [runs.map((r) => r.runId)],
      );
      expect(rows.map((r) => r.n)).toEqual(runs.map(() => 1));
      expect(log.pending).toBe(0);
    } finally {
      await admin.query('ROLLBACK').catch(() => {});
      await admin.end();
      await log.close();
      await pool.end();
    }
  });

  it('recordCommands writes a run id once: a retry of a committed batch adds no row and no event', async () => {
    const runs = [
      {
        guildId,
        command: '!once',
        executorId: DEMO.users.member,
        result: 'success' as const,
        runId: `once-${keyPrefix}`,
      },
    ];
    const first = await recordCommands(h.db.pool, { sync: h.sync }, runs);
    const again = await recordCommands(h.db.pool, { sync: h.sync }, runs);
    expect([first.entries.length, first.announced]).toEqual([1, 1]);
    expect([again.entries.length, again.announced]).toEqual([0, 0]);
    const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1', [
      runs[0]?.runId,
    ]);
    expect(rows[0].n).toBe(1);
  });
});
