import { enqueueClaimedMany, publishAfterCommit, withTransaction } from '@wolaro/sync/pg';
import type pg from 'pg';
import type { EventPublisher } from './config_writes.js';
import type { Queryable } from './types.js';

/** A command execution (`audit_log`), as the bot records it and the panel lists it. */
export interface AuditEntry {
  id: string;
  guildId: string;
  command: string;
  executorId: string;
  executor: string | null;
  result: 'success' | 'error' | 'denied';
  createdAt: Date;
}

interface AuditRow {
  id: string;
  guild_id: string;
  command: string;
  executor_id: string;
  executor: string | null;
  result: AuditEntry['result'];
  created_at: Date;
}

const COLUMNS = 'id::text AS id, guild_id, command, executor_id, executor, result, created_at';

const toEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  guildId: r.guild_id,
  command: r.command,
  executorId: r.executor_id,
  executor: r.executor,
  result: r.result,
  createdAt: r.created_at,
});

/**
 * Records a command execution (the bot, next to publishing `command:executed`).
 *
 * @example
 * ```ts
 * await recordCommand(pool, { guildId, command: 'ban', executorId: user.id, executor: user.username, result: 'success' });
 * ```
 */
export async function recordCommand(
  db: Queryable,
  input: {
    guildId: string;
    command: string;
    executorId: string;
    executor?: string | null | undefined;
    result: AuditEntry['result'];
  },
): Promise<AuditEntry> {
  const { rows } = await db.query<AuditRow>(
    `INSERT INTO audit_log (guild_id, command, executor_id, executor, result) VALUES ($1, $2, $3, $4, $5)
     RETURNING ${COLUMNS}`,
    [input.guildId, input.command, input.executorId, input.executor ?? null, input.result],
  );
  return toEntry(rows[0]!);
}

/** One command execution to record: who ran what, where, and how it ended. */
export interface CommandRun {
  guildId: string;
  command: string;
  executorId: string;
  executor?: string | null | undefined;
  result: AuditEntry['result'];
  /**
   * What identifies this run (the interaction's or the message's id). A run recorded twice under
   * the same id (a retry after a COMMIT whose answer was lost) gets one row and one event.
   */
  runId?: string | undefined;
  /**
   * Whether this run is announced with its own `command:executed` event.
   * @defaultValue true
   */
  announce?: boolean | undefined;
}

/** What {@link recordCommands} did. */
export interface RecordedCommands {
  /** The audit rows written, in the order of the runs. */
  entries: AuditEntry[];
  /** How many `command:executed` events were written to the outbox with them. */
  announced: number;
  /** Whether every event went out right after COMMIT (else the outbox relay publishes them). */
  published: boolean;
}

/**
 * Records command executions and announces them through the outbox, in ONE transaction: one
 * `INSERT` for every audit row, one for their `command:executed` events (claimed by this call),
 * then COMMIT, then the events are published. So an event is only ever seen once its `/logs`
 * entry is readable, and a process that dies after COMMIT loses neither: a relay publishes what
 * was not published. Runs with `announce: false` are recorded without an event (coalesced floods).
 *
 * @example
 * ```ts
 * await recordCommands(pool, { sync, relay }, [
 *   { guildId, command: 'ban', executorId: user.id, executor: user.username, result: 'success' },
 * ]);
 * ```
 */
export async function recordCommands(
  pool: pg.Pool,
  publisher: EventPublisher,
  runs: readonly CommandRun[],
  options: {
    /** The runs are already recorded: only announce them (one event each). */
    announceOnly?: boolean;
    /**
     * Publish right after COMMIT. `false` leaves the events to the outbox relay once their claim
     * lapses: what a process that dies between COMMIT and publish leaves behind.
     * @defaultValue true
     */
    publish?: boolean;
    /** How long relays leave the events to this call (`enqueueClaimedMany`'s `claimMs`). */
    claimMs?: number;
  } = {},
): Promise<RecordedCommands> {
  if (runs.length === 0) return { entries: [], announced: 0, published: true };
  const { entries, events } = await withTransaction(pool, async (client) => {
    const written = options.announceOnly ? NONE_WRITTEN : await insertRuns(client, runs);
    // A run whose id was already recorded (a retry) is neither written nor announced again.
    const fresh = options.announceOnly ? runs : runs.filter((_run, i) => written.inserted[i]);
    const announced = fresh.filter((run) => options.announceOnly || run.announce !== false).map(eventOf);
    const claim = options.claimMs === undefined ? {} : { claimMs: options.claimMs };
    return {
      entries: written.entries,
      events: await enqueueClaimedMany(client, announced, claim),
    };
  });
  if (options.publish === false) return { entries, announced: events.length, published: false };
  const fastPath = { relay: publisher.relay, ...(publisher.logger ? { logger: publisher.logger } : {}) };
  const outcomes = await Promise.all(
    events.map((event) => publishAfterCommit(pool, publisher.sync, event, fastPath)),
  );
  return { entries, announced: events.length, published: outcomes.every(Boolean) };
}

const NONE_WRITTEN: { entries: AuditEntry[]; inserted: boolean[] } = { entries: [], inserted: [] };

/**
 * Every run's audit row, in one statement, in the order of the runs. `inserted[i]` says whether
 * run `i` got a row (false: its `runId` was recorded before).
 */
async function insertRuns(
  client: pg.PoolClient,
  runs: readonly CommandRun[],
): Promise<{ entries: AuditEntry[]; inserted: boolean[] }> {
  const { rows } = await client.query<AuditRow & { run_id: string | null }>(
    `INSERT INTO audit_log (guild_id, command, executor_id, executor, result, run_id)
     SELECT g, c, e, x, r, k FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       WITH ORDINALITY AS t(g, c, e, x, r, k, n) ORDER BY n
     ON CONFLICT (run_id) DO NOTHING
     RETURNING ${COLUMNS}, run_id`,
    [
      runs.map((r) => r.guildId),
      runs.map((r) => r.command),
      runs.map((r) => r.executorId),
      runs.map((r) => r.executor ?? null),
      runs.map((r) => r.result),
      runs.map((r) => r.runId ?? null),
    ],
  );
  // A run id twice in one batch gets one row: the first run is the one written.
  const written = new Set(rows.map((r) => r.run_id));
  const inserted = runs.map((r) => r.runId === undefined || written.delete(r.runId));
  const entries = rows.map(toEntry).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return { entries, inserted };
}

/** The `command:executed` event of a run. */
function eventOf(run: CommandRun) {
  return {
    channel: 'command:executed' as const,
    payload: {
      guildId: run.guildId,
      command: run.command,
      executorId: run.executorId,
      result: run.result,
      ...(run.executor ? { executor: run.executor.slice(0, 100) } : {}),
    },
  };
}

/** A guild's most recent command executions, newest first. */
export async function listAuditLog(db: Queryable, guildId: string, limit = 50): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log WHERE guild_id = $1 ORDER BY audit_log.id DESC LIMIT $2`,
    [guildId, limit],
  );
  return rows.map(toEntry);
}
