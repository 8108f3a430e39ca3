import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ZodObject } from 'zod';
import { type BuiltinChannels, builtinChannels } from '../../channels/builtin.js';
import type { ChannelMap } from '../../channels/define.js';
import type { ChannelName, PublishInput } from '../../channels/types.js';
import type { SyncClient } from '../../client/sync_client.js';
import { InvalidPayloadError, UnknownChannelError } from '../../errors.js';
import { FORBIDDEN_KEY_REASON } from '../../internal/payload_check.js';
import { type ClaimedOutboxEvent, DefaultEnqueueClaimedOptions } from './enqueue.js';
import { PreconditionFailedError } from './errors.js';
import { checkMarkDelay, releaseClaims } from './publish_after_commit.js';
import { OUTBOX_PAYLOAD_CHECK, OUTBOX_TABLE, quoteIdentifier } from './sql.js';
import { isSqlFragment, param, renderSql, type SqlFragment } from './sql_fragment.js';
import { withTransaction } from './transaction.js';
import {
  type FastPathOptions,
  publishClaimed,
  updateSql,
  type VersionedRow,
  type VersionedRowOptions,
  versionedRow,
  whyNotUpdated,
} from './versioned_row.js';

/**
 * An event written by {@link versionedUpdateStatement}, built in SQL from the updated row: each
 * payload field is a column of `updated` (a string) or an expression over it (a
 * {@link SqlFragment}). `version` (when the channel has one), `timestamp` and `eventId` are
 * filled in unless given.
 *
 * @example
 * ```ts
 * const event: StatementEvent = { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } };
 * ```
 */
export type StatementEvent<M extends ChannelMap = BuiltinChannels> = {
  [C in ChannelName<M>]: {
    channel: C;
    payload: { readonly [K in keyof PublishInput<C, M>]?: string | SqlFragment };
  };
}[ChannelName<M>];

/**
 * Options of {@link versionedUpdateStatement}.
 *
 * @example
 * ```ts
 * const options: VersionedUpdateStatementOptions = {
 *   table: 'guilds', idColumn: 'guild_id', id: '123',
 *   set: { settings: sql`settings || ${JSON.stringify({ prefix: '?' })}::jsonb` },
 *   event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
 * };
 * ```
 */
export interface VersionedUpdateStatementOptions<M extends ChannelMap = BuiltinChannels>
  extends VersionedRowOptions,
    FastPathOptions {
  /**
   * Extra fields of the updated row, by name: expressions over the row's new values (e.g. the
   * settings with defaults applied), usable in `also` and `event` as `updated.name` and returned
   * in `row`.
   */
  returning?: Readonly<Record<string, SqlFragment>>;
  /**
   * Other rows written by the same statement, by name: each a data-modifying statement that reads
   * the updated row from `updated` (`INSERT … SELECT … FROM updated RETURNING …`). What each
   * returns comes back in the result's `also` (an empty list without `RETURNING`). They run only
   * when the row is updated.
   */
  also?: Readonly<Record<string, SqlFragment>>;
  /**
   * A condition the write needs besides the row's version, checked by the same statement: a
   * boolean SQL expression that may read other tables (the caller's session and rights, a
   * feature flag). The row is updated only when it is true, so there is no window between a
   * check and the write; when it is false nothing is written and the call rejects with
   * `PreconditionFailedError` (after `RowNotFoundError` and `VersionConflictError`, which win).
   */
  precondition?: SqlFragment | undefined;
  /** The event(s) the change announces, written to the outbox as claimed rows. */
  event: StatementEvent<M> | readonly StatementEvent<M>[];
  /**
   * Runs after COMMIT and before the publish: the change and its events are durable here, and no
   * reader has been told yet. The place to store the new value where readers look first (a cache
   * write-through), so the event finds it there. If it throws, the call rejects and the relay
   * publishes the events (their claim is dropped at once).
   */
  afterCommit?: ((committed: CommittedStatement) => void | Promise<void>) | undefined;
  /**
   * How long relays leave the rows to this call; a process that dies after COMMIT has its events
   * published by a relay once the claim lapses.
   * @defaultValue 10000 (`DefaultEnqueueClaimedOptions.claimMs`)
   */
  claimMs?: number | undefined;
}

/**
 * What {@link VersionedUpdateStatementOptions.afterCommit} is given: the committed row, its new
 * version and what each `also` statement returned.
 *
 * @example
 * ```ts
 * const afterCommit = ({ row, version }: CommittedStatement) => cache.setJSON(`row:${String(row['id'])}`, row, { version });
 * ```
 */
export interface CommittedStatement {
  /** The updated row with the `returning` fields, as JSON. */
  row: Record<string, unknown>;
  /** The row's new version. */
  version: number;
  /** The rows each `also` statement returned, by name. */
  also: Record<string, unknown[]>;
}

/**
 * What {@link versionedUpdateStatement} did.
 *
 * @example
 * ```ts
 * const { row, version, also, published } = await versionedUpdateStatement(pool, sync, options);
 * ```
 */
export interface VersionedUpdateStatementResult<Row> {
  /** The updated row with the `returning` fields, as JSON (a bigint column arrives as a number). */
  row: Row;
  /** The row's new version. */
  version: number;
  /** The rows each `also` statement returned, by name. */
  also: Record<string, unknown[]>;
  /** Ids of the outbox rows written, in order. */
  outboxIds: string[];
  /** Whether every event went out right after COMMIT; if not, a relay publishes the rest. */
  published: boolean;
}

/**
 * A versioned change as ONE autocommit statement: the row's `UPDATE … version = version + 1`,
 * the extra rows of `also` (a revision, an audit row) and the claimed outbox rows of `event`,
 * committed together in one round trip, then published right after COMMIT (the fast path of
 * `publishAfterCommit`; a failed publish leaves the rows to the relay, it never fails the call).
 *
 * It gives the guarantees of {@link versionedUpdate} (version order, no lost or phantom events, a
 * stale `expectedVersion` → `VersionConflictError`, a missing row → `RowNotFoundError`) at the
 * cost of one statement instead of a transaction of four or more (with `lockTimeoutMs` or
 * `statementTimeoutMs`, the statement runs in a transaction of its own for their `SET LOCAL`:
 * prefer setting them on the pool, which costs nothing per write). The update applies only if the
 * row still has the version the statement's snapshot read, so what `also` reads from other tables
 * belongs to that version; if a concurrent writer got there first, the same statement runs again
 * in a transaction that holds the row lock.
 *
 * A `precondition` makes the write conditional on more than the version, in the same statement:
 * an authorization check (is this session still allowed to change this row?) costs no round trip
 * of its own and cannot go stale between the check and the write.
 *
 * Payloads are built in SQL, so their JSON types are the columns': give `settings` a jsonb
 * column, `guildId` a text one. A payload with a `__proto__`, `constructor` or `prototype` key at
 * any depth (which every receiver drops) is refused by the outbox table itself: nothing is
 * written and the call rejects with `InvalidPayloadError`. The publish validates the rest of the
 * channel contract; a row that breaks it is left to the relay, which gives it up.
 *
 * @example
 * ```ts
 * import { sql, versionedUpdateStatement } from '@wolaro/sync/pg';
 *
 * const { version, also } = await versionedUpdateStatement(pool, sync, {
 *   table: 'guilds',
 *   idColumn: 'guild_id',
 *   id: guildId,
 *   set: { settings: sql`settings || ${JSON.stringify(patch)}::jsonb`, updated_at: sql`now()` },
 *   expectedVersion: body.version,
 *   also: {
 *     revision: sql`INSERT INTO config_revisions (guild_id, version, settings)
 *                   SELECT guild_id, version, settings FROM updated RETURNING id`,
 *   },
 *   event: { channel: 'config:update', payload: { guildId: 'guild_id', settings: 'settings' } },
 *   relay,
 * });
 * ```
 */
export async function versionedUpdateStatement<
  Row = Record<string, unknown>,
  M extends ChannelMap = Record<never, never>,
>(
  pool: pg.Pool,
  sync: SyncClient<M>,
  options: VersionedUpdateStatementOptions<BuiltinChannels & M>,
): Promise<VersionedUpdateStatementResult<Row>> {
  const row = versionedRow(options, 'versionedUpdateStatement');
  checkMarkDelay('versionedUpdateStatement', options.markDelayMs);
  const claimMs = options.claimMs ?? DefaultEnqueueClaimedOptions.claimMs;
  if (!(claimMs > 0) || !Number.isFinite(claimMs)) {
    throw new TypeError(
      `versionedUpdateStatement: claimMs must be a positive number of milliseconds, got ${claimMs}`,
    );
  }
  const events = Array.isArray(options.event) ? options.event : [options.event as StatementEvent<ChannelMap>];
  const channels = { ...(sync.channels as ChannelMap), ...(builtinChannels as ChannelMap) };
  const statement = buildStatement(row, options, events, channels, claimMs);
  if (options.preparedStatements === true) statement.name = statementName(statement.text);

  const limits = { lockTimeoutMs: options.lockTimeoutMs, statementTimeoutMs: options.statementTimeoutMs };
  const limited = limits.lockTimeoutMs !== undefined || limits.statementTimeoutMs !== undefined;
  // With time limits of its own the statement needs a transaction for its SET LOCAL.
  let result = limited
    ? await withTransaction(pool, (client) => runStatement(client, statement), limits).catch(refusedPayload)
    : await runStatement(pool, statement).catch(refusedPayload);
  if (!result) {
    // Changed under the snapshot, stale, or missing: take the row lock and tell them apart.
    result = await withTransaction(
      pool,
      async (client) => {
        const why = await whyNotUpdated(client, row, true);
        if (why) throw why;
        if (options.precondition && !(await holds(client, options.precondition))) {
          throw new PreconditionFailedError(row.tableName, String(row.id));
        }
        const again = await runStatement(client, statement);
        if (!again)
          throw new Error(`versionedUpdateStatement: row ${String(row.id)} not updated under its lock`);
        return again;
      },
      limits,
    ).catch(refusedPayload);
  }
  const version = Number(result.row[row.versionName]);
  if (options.afterCommit) {
    try {
      await options.afterCommit({ row: result.row, version, also: result.also });
    } catch (err) {
      const reason = `afterCommit threw: ${err instanceof Error ? err.message : String(err)}`;
      const ids = result.events.map((e) => e.id);
      await releaseClaims(pool, ids, reason, { relay: options.relay, logger: options.logger });
      throw err;
    }
  }
  const published = await publishClaimed(pool, sync, result.events, options);
  return {
    row: result.row as Row,
    version,
    also: result.also,
    outboxIds: result.events.map((e) => e.id),
    published,
  };
}

/** Whether `condition` is true now (under the caller's row lock). */
async function holds(client: pg.ClientBase, condition: SqlFragment): Promise<boolean> {
  const params: unknown[] = [];
  const text = `SELECT (${renderSql(condition, params)}) IS TRUE AS ok`;
  const { rows } = await client.query<{ ok: boolean }>(text, params);
  return rows[0]?.ok === true;
}

interface Statement {
  /** The prepared statement's name (`preparedStatements`), else unnamed. */
  name?: string;
  text: string;
  params: unknown[];
  also: { name: string; column: string; returns: boolean }[];
  channels: string[];
}

function buildStatement(
  row: VersionedRow,
  options: VersionedUpdateStatementOptions<ChannelMap>,
  events: readonly StatementEvent<ChannelMap>[],
  channels: ChannelMap,
  claimMs: number,
): Statement {
  const params: unknown[] = [];
  const current = `SELECT ${row.versionColumn} AS v FROM ${row.table} WHERE ${row.idColumn} = ${param(row.id, params)}`;
  const returning = Object.entries(options.returning ?? {})
    .map(([name, expr]) => `${renderSql(expr, params)} AS ${quoteName(name)}`)
    .join(', ');
  const precondition = options.precondition ? ` AND (${renderSql(options.precondition, params)})` : '';
  const update = updateSql(row, params, {
    guard: `${row.versionColumn} = (SELECT v FROM current_row)${precondition}`,
    ...(returning ? { returning } : {}),
  });
  const ctes = [`current_row AS (${current})`, `updated AS (${update})`];
  const also = Object.entries(options.also ?? {}).map(([name, fragment], i) => {
    const text = renderSql(fragment, params);
    ctes.push(`also_${i} AS (${text})`);
    return { name, column: `also_${i}`, returns: /\bRETURNING\b/i.test(text) };
  });
  const claimParam = param(claimMs, params);
  const timestamp = param(Date.now(), params);
  events.forEach((event, i) => {
    const payload = payloadSql(event, channels, row, params, timestamp);
    ctes.push(`outbox_${i} AS (INSERT INTO ${OUTBOX_TABLE} (channel, payload, event_id, guild_id, version, claimed_until)
      SELECT ${param(event.channel, params)}, p, p->>'eventId', p->>'guildId', (p->>'version')::bigint,
             clock_timestamp() + ${claimParam}::double precision * interval '1 millisecond'
        FROM (SELECT ${payload} AS p FROM updated) AS e
      RETURNING id::text AS id, payload)`);
  });
  const alsoColumns = also
    .filter((a) => a.returns)
    .map(
      (a) => `(SELECT coalesce(jsonb_agg(to_jsonb(a)), '[]'::jsonb) FROM ${a.column} AS a) AS ${a.column}`,
    );
  const eventColumns = events.map(
    (_, i) =>
      `(SELECT jsonb_build_object('id', o.id, 'payload', o.payload) FROM outbox_${i} AS o) AS event_${i}`,
  );
  const text = `WITH ${ctes.join(',\n')}
    SELECT ${['to_jsonb(updated) AS row', ...alsoColumns, ...eventColumns].join(', ')} FROM updated`;
  return { text, params, also, channels: events.map((e) => e.channel) };
}

/** `jsonb_build_object(…)` of an event, with `version`, `timestamp` and `eventId` filled in. */
function payloadSql(
  event: StatementEvent<ChannelMap>,
  channels: ChannelMap,
  row: VersionedRow,
  params: unknown[],
  timestamp: string,
): string {
  const def = Object.hasOwn(channels, event.channel) ? channels[event.channel] : undefined;
  if (!def) throw new UnknownChannelError(event.channel);
  const shape = (def.schema as ZodObject).shape as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const [name, source] of Object.entries(event.payload as Record<string, string | SqlFragment>)) {
    if (!Object.hasOwn(shape, name)) {
      throw new TypeError(`versionedUpdateStatement: "${event.channel}" has no payload field "${name}"`);
    }
    fields[name] = isSqlFragment(source) ? `(${renderSql(source, params)})` : `updated.${quoteName(source)}`;
  }
  if ('version' in shape && fields['version'] === undefined)
    fields['version'] = `updated.${row.versionColumn}`;
  if ('timestamp' in shape && fields['timestamp'] === undefined) fields['timestamp'] = `${timestamp}::bigint`;
  fields['eventId'] ??= `${param(randomUUID(), params)}::text`;
  const pairs = Object.entries(fields).map(([name, expr]) => `${param(name, params)}::text, ${expr}`);
  return `jsonb_build_object(${pairs.join(', ')})`;
}

/**
 * The outbox table refuses a payload built in SQL with a key every receiver drops (its CHECK
 * constraint): the whole statement is rolled back, and the caller gets `InvalidPayloadError`.
 */
function refusedPayload(err: unknown): never {
  const { code, constraint } = (err ?? {}) as { code?: unknown; constraint?: unknown };
  if (code === '23514' && constraint === OUTBOX_PAYLOAD_CHECK) {
    const reason = `(root): ${FORBIDDEN_KEY_REASON}`;
    throw new InvalidPayloadError(
      `versionedUpdateStatement: an event payload has a ${FORBIDDEN_KEY_REASON}, which every receiver drops; nothing was written`,
      [reason],
      { cause: err },
    );
  }
  throw err;
}

/**
 * A prepared statement name for `text`: the same text always gets the same name. (Hashing a
 * statement's text takes about a microsecond, far below the round trip it names.)
 */
function statementName(text: string): string {
  return `wolaro_vus_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

function quoteName(name: string): string {
  return quoteIdentifier(name, 'column or field name');
}

interface StatementResult {
  row: Record<string, unknown>;
  also: Record<string, unknown[]>;
  events: ClaimedOutboxEvent[];
}

async function runStatement(
  db: pg.Pool | pg.ClientBase,
  statement: Statement,
): Promise<StatementResult | undefined> {
  const { rows } = await db.query<Record<string, unknown>>({
    ...(statement.name === undefined ? {} : { name: statement.name }),
    text: statement.text,
    values: statement.params,
  });
  const first = rows[0];
  if (!first) return undefined;
  const also: Record<string, unknown[]> = {};
  for (const { name, column, returns } of statement.also) {
    also[name] = returns ? (first[column] as unknown[]) : [];
  }
  const events = statement.channels.map((channel, i) => {
    const written = first[`event_${i}`] as { id: string; payload: Record<string, unknown> };
    return { id: written.id, channel, payload: written.payload };
  });
  return { row: first['row'] as Record<string, unknown>, also, events };
}
