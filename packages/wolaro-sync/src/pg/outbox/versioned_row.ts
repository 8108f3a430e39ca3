/**
 * What `versionedUpdate` and `versionedUpdateStatement` share: naming and quoting the row, the
 * `UPDATE … version = version + 1` itself, telling a stale version from a missing row, and the
 * fast-path publish of the claimed events.
 */
import type pg from 'pg';
import type { ChannelMap } from '../../channels/define.js';
import type { SyncClient } from '../../client/sync_client.js';
import { VersionConflictError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ClaimedOutboxEvent } from './enqueue.js';
import { RowNotFoundError } from './errors.js';
import { publishAfterCommit, type Wakeable } from './publish_after_commit.js';
import { quoteIdentifier } from './sql.js';
import { isSqlFragment, param, renderSql } from './sql_fragment.js';
import type { TransactionTimeouts } from './transaction.js';

/**
 * The row a versioned write changes, as both functions take it, and the write's time limits
 * (`lockTimeoutMs`: a row locked by another session makes the write fail with SQLSTATE `55P03`
 * after that long instead of waiting; `statementTimeoutMs`: SQLSTATE `57014`). Both default to the
 * connection's own settings.
 */
export interface VersionedRowOptions extends TransactionTimeouts {
  /** Table to update, `table` or `schema.table` (letters, digits, `_`; quoted as given). */
  table: string;
  /** Primary-key column of `table`. */
  idColumn: string;
  /** Id of the row to update. */
  id: string | number | bigint;
  /**
   * Columns to set: a value is sent as a parameter (objects as JSON; send an array meant for a
   * jsonb column as `JSON.stringify(value)`), a {@link SqlFragment} is used as the expression
   * (e.g. sql\`settings || ${patch}::jsonb\`, where `settings` is the current value). May be
   * empty: the version is bumped all the same.
   */
  set: Readonly<Record<string, unknown>>;
  /**
   * The version the caller last saw. When given and the row has moved on, nothing is written and
   * `VersionConflictError` carries the current version (the panel's 409).
   */
  expectedVersion?: number | undefined;
  /**
   * The row's version column, incremented by one in the same statement.
   * @defaultValue `'version'`
   */
  versionColumn?: string;
}

/** A validated, quoted {@link VersionedRowOptions}. */
export interface VersionedRow {
  readonly table: string;
  readonly tableName: string;
  readonly idColumn: string;
  readonly versionName: string;
  readonly versionColumn: string;
  readonly id: string | number;
  readonly expected: number | undefined;
  readonly set: readonly (readonly [column: string, value: unknown])[];
}

/**
 * Validates and quotes the names of a versioned write.
 *
 * @throws TypeError for a name that is not a plain identifier, or a `set` of the id or version column
 */
export function versionedRow(options: VersionedRowOptions, caller: string): VersionedRow {
  const versionName = options.versionColumn ?? 'version';
  const set = Object.entries(options.set).map(([name, value]) => {
    if (name === options.idColumn || name === versionName) {
      throw new TypeError(`${caller}: "${name}" cannot be set (it is the id or the version column)`);
    }
    return [quoteIdentifier(name, 'column'), value] as const;
  });
  return {
    table: quoteIdentifier(options.table, 'table', true),
    tableName: options.table,
    idColumn: quoteIdentifier(options.idColumn, 'id column'),
    versionName,
    versionColumn: quoteIdentifier(versionName, 'version column'),
    id: typeof options.id === 'bigint' ? options.id.toString() : options.id,
    expected: options.expectedVersion,
    set,
  };
}

/**
 * `UPDATE … SET …, version = version + 1 WHERE id = … [AND version = expected] [AND guard]
 * RETURNING *[, returning]`, its parameters appended to `params`.
 */
export function updateSql(
  row: VersionedRow,
  params: unknown[],
  extra: { guard?: string; returning?: string } = {},
): string {
  const sets = row.set.map(
    ([column, value]) =>
      `${column} = ${isSqlFragment(value) ? renderSql(value, params) : param(value, params)}`,
  );
  sets.push(`${row.versionColumn} = ${row.versionColumn} + 1`);
  let where = `${row.idColumn} = ${param(row.id, params)}`;
  if (row.expected !== undefined) where += ` AND ${row.versionColumn} = ${param(row.expected, params)}`;
  if (extra.guard) where += ` AND ${extra.guard}`;
  const returning = extra.returning ? `*, ${extra.returning}` : '*';
  return `UPDATE ${row.table} SET ${sets.join(', ')} WHERE ${where} RETURNING ${returning}`;
}

/**
 * Why a versioned UPDATE changed no row: `RowNotFoundError`, or `VersionConflictError` when the
 * caller's `expectedVersion` is stale. `undefined` when the row is there at an acceptable version
 * (a concurrent writer moved it between a statement's snapshot and its update). With `lock`, the
 * row stays locked for the rest of the caller's transaction.
 */
export async function whyNotUpdated(
  client: pg.ClientBase,
  row: VersionedRow,
  lock = false,
): Promise<Error | undefined> {
  const { rows } = await client.query<{ v: unknown }>(
    `SELECT ${row.versionColumn} AS v FROM ${row.table} WHERE ${row.idColumn} = $1${lock ? ' FOR UPDATE' : ''}`,
    [row.id],
  );
  const found = rows[0];
  if (!found) return new RowNotFoundError(row.tableName, String(row.id));
  const current = Number(found.v);
  if (row.expected !== undefined && current !== row.expected) {
    return new VersionConflictError(String(row.id), row.expected, current);
  }
  return undefined;
}

/** Fast-path options shared by both versioned writes. */
export interface FastPathOptions {
  /** A relay in this process, woken when an event is left to it (embedded mode needs this). */
  relay?: Wakeable | undefined;
  /**
   * A pino-compatible logger for the fast path.
   * @defaultValue silent
   */
  logger?: Logger | undefined;
  /**
   * Send the statements of the write path as named prepared statements, so each connection parses
   * them once and Postgres can reuse their plans instead of parsing and planning them on every
   * call: the fast path's mark, and the single statement of `versionedUpdateStatement` (named
   * `wolaro_vus_` and a hash of its text: the text of a call site does not change between calls,
   * values are parameters, so a connection holds one statement per call site). Leave it off
   * behind a pooler that does not keep prepared statements per server connection (PgBouncer in
   * transaction mode before 1.21).
   * @defaultValue false
   */
  preparedStatements?: boolean | undefined;
  /**
   * How long the mark of a published event may wait to share its `UPDATE` with the marks of other
   * writes; with a delay the write resolves without waiting for its mark (see
   * `PublishAfterCommitOptions.markDelayMs`).
   * @defaultValue 0
   */
  markDelayMs?: number | undefined;
}

/** Publishes claimed events in order after COMMIT; whether all went out now. */
export async function publishClaimed<M extends ChannelMap>(
  pool: pg.Pool,
  sync: SyncClient<M>,
  events: readonly ClaimedOutboxEvent[],
  options: FastPathOptions,
): Promise<boolean> {
  let published = events.length > 0;
  for (const event of events) {
    const ok = await publishAfterCommit(pool, sync, event, {
      relay: options.relay,
      ...(options.logger ? { logger: options.logger } : {}),
      preparedStatements: options.preparedStatements,
      markDelayMs: options.markDelayMs,
    });
    published &&= ok;
  }
  return published;
}
