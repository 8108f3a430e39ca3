import pg from 'pg';

/**
 * Name of the outbox table `migrate()` creates, in the first schema of the connection's
 * `search_path` (`current_schema()`).
 *
 * @example
 * ```ts
 * await pool.query(`SELECT count(*) FROM ${OUTBOX_TABLE} WHERE published_at IS NULL`); // pending events
 * ```
 */
export const OUTBOX_TABLE = 'sync_outbox';

/**
 * The NOTIFY channel the outbox trigger signals on after every insert. The payload is the
 * schema of the table, so relays of other schemas in the same database ignore it.
 *
 * @example
 * ```ts
 * await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`); // what OutboxRelay does
 * ```
 */
export const OUTBOX_NOTIFY_CHANNEL = 'sync_outbox';

/** The outbox's CHECK constraint refusing payloads with a key every receiver drops. */
export const OUTBOX_PAYLOAD_CHECK = 'sync_outbox_payload_keys';

/**
 * A jsonpath matching any object (at any depth) with a member named `__proto__`, `constructor` or
 * `prototype`. Asked with `exists` rather than by listing every member with `keyvalue()`: the
 * same answer at about a quarter of the CPU, and it runs on every outbox insert.
 */
export const FORBIDDEN_KEYS_PATH =
  'lax $.** ? (exists(@."__proto__") || exists(@."constructor") || exists(@."prototype"))';

/**
 * Upper 32 bits of every advisory lock key of the outbox (`'WSOB'`), so they do not collide
 * with an application's own advisory locks.
 */
const LOCK_NAMESPACE = 0x57534f42;

/** Advisory lock held by `migrate()` for its transaction, per schema. */
export const MIGRATE_LOCK_SQL = `SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(current_schema()))`;

/**
 * The drain lock: one bigint key per outbox table (its oid), so relays of different schemas
 * never wait for each other. Session-level, so nothing stays in a transaction while publishing.
 */
export const TRY_DRAIN_LOCK_SQL = `SELECT k::text AS key, pg_try_advisory_lock(k) AS locked
  FROM (SELECT (${LOCK_NAMESPACE}::bigint << 32) + '${OUTBOX_TABLE}'::regclass::oid::bigint AS k) AS lock_key`;

/** Releases the drain lock taken by {@link TRY_DRAIN_LOCK_SQL}; `$1` is its key. */
export const UNLOCK_DRAIN_SQL = 'SELECT pg_advisory_unlock($1::bigint) AS unlocked';

/** Columns the relay reads from a pending row. (ORDER BY must name `${OUTBOX_TABLE}.id`: `id` alone is the text alias.) */
const ROW_COLUMNS = 'id::text AS id, channel, payload, guild_id, attempts';
/**
 * A row the relay may publish: not published, not given up, and not claimed by a live fast path
 * (a claim lapses at `claimed_until`, so a process that dies after COMMIT loses nothing).
 */
const PENDING =
  'published_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < clock_timestamp())';

/**
 * Commits without waiting for the WAL flush (`synchronous_commit = off` for this statement's own
 * transaction only). For marks: a mark lost in a database crash only means the event is published
 * again, which consumers ignore, and not waiting halves what a mark costs the disk.
 */
const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) = 'off'`;

/** Pending rows in commit order of each guild (`$1` = limit). */
export const SELECT_PENDING_SQL = `SELECT ${ROW_COLUMNS} FROM ${OUTBOX_TABLE}
  WHERE ${PENDING} ORDER BY ${OUTBOX_TABLE}.id LIMIT $1`;

/** Pending rows of the guild of row `$1`, up to and including it, in order (`$2` = limit). */
export const SELECT_PENDING_UP_TO_SQL = `SELECT ${ROW_COLUMNS} FROM ${OUTBOX_TABLE}
  WHERE ${PENDING} AND id <= $1::bigint
    AND guild_id IS NOT DISTINCT FROM (SELECT guild_id FROM ${OUTBOX_TABLE} WHERE id = $1::bigint)
  ORDER BY ${OUTBOX_TABLE}.id LIMIT $2`;

/** Whether row `$1` is published (or given up); no row means it was pruned, so published. */
export const ROW_DONE_SQL = `SELECT published_at IS NOT NULL AS published, failed_at IS NOT NULL AS failed
  FROM ${OUTBOX_TABLE} WHERE id = $1::bigint`;

/** Marks rows `$1` (bigint[]) published; `attempts` counts every publish attempt. */
export const MARK_PUBLISHED_SQL = `UPDATE ${OUTBOX_TABLE}
  SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[]) AND ${ASYNC_COMMIT}`;

/** Records a failed attempt on row `$1` with error text `$2`; the row stays pending. */
export const MARK_ATTEMPT_FAILED_SQL = `UPDATE ${OUTBOX_TABLE}
  SET attempts = attempts + 1, last_error = $2 WHERE id = $1::bigint`;

/** Gives up on row `$1` (it can never be published, e.g. its payload breaks the channel contract). */
export const MARK_DEAD_SQL = `UPDATE ${OUTBOX_TABLE}
  SET attempts = attempts + 1, last_error = $2, failed_at = now() WHERE id = $1::bigint`;

/** Inserts one event, claimed by its writer for `$6` ms when `$6` is not null; returns its id as text (bigint). */
export const INSERT_SQL = `INSERT INTO ${OUTBOX_TABLE} (channel, payload, event_id, guild_id, version, claimed_until)
  VALUES ($1, $2::jsonb, $3, $4, $5,
    clock_timestamp() + $6::double precision * interval '1 millisecond') RETURNING id::text AS id`;

/**
 * Inserts several claimed rows in one statement: `$1..$5` are parallel arrays (channel, payload
 * JSON, event id, guild id, version), `$6` the claim in ms; returns each row's id with its event id.
 */
export const INSERT_MANY_SQL = `INSERT INTO ${OUTBOX_TABLE} (channel, payload, event_id, guild_id, version, claimed_until)
  SELECT c, p::jsonb, e, g, v, clock_timestamp() + $6::double precision * interval '1 millisecond'
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS t(c, p, e, g, v, n)
   ORDER BY n
  RETURNING id::text AS id, event_id`;

/** Marks claimed rows `$1` (bigint[]) published by their writers' fast path. */
export const MARK_CLAIMED_PUBLISHED_SQL = `UPDATE ${OUTBOX_TABLE}
  SET published_at = now(), attempts = attempts + 1, claimed_until = NULL
  WHERE id = ANY($1::bigint[]) AND published_at IS NULL AND ${ASYNC_COMMIT}`;

/**
 * Hands claimed rows `$1` (bigint[]) to the relays after their fast path failed with error `$2`: the claim is
 * dropped and the relays of the schema are woken (NOTIFY, delivered when this statement commits).
 */
export const RELEASE_CLAIM_SQL = `WITH released AS (
    UPDATE ${OUTBOX_TABLE} SET claimed_until = NULL, attempts = attempts + 1, last_error = $2
    WHERE id = ANY($1::bigint[]) AND published_at IS NULL RETURNING id)
  SELECT pg_notify('${OUTBOX_NOTIFY_CHANNEL}', n.nspname) FROM (SELECT 1 FROM released LIMIT 1) AS any_released
    JOIN pg_class c ON c.oid = '${OUTBOX_TABLE}'::regclass JOIN pg_namespace n ON n.oid = c.relnamespace`;

/** Deletes up to `$2` rows published more than `$1` ms ago; called until it deletes fewer. */
export const PRUNE_SQL = `DELETE FROM ${OUTBOX_TABLE} WHERE id IN (
  SELECT id FROM ${OUTBOX_TABLE}
  WHERE published_at IS NOT NULL AND published_at < now() - $1::double precision * interval '1 millisecond'
  LIMIT $2)`;

/** The schema the outbox table resolves to, or `null` when `migrate()` has not run there. */
export const LOCATE_TABLE_SQL = `SELECT current_schema() AS schema, n.nspname AS table_schema
  FROM (SELECT to_regclass('${OUTBOX_TABLE}') AS t) AS r
  LEFT JOIN pg_class c ON c.oid = r.t LEFT JOIN pg_namespace n ON n.oid = c.relnamespace`;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a table or column name (`[A-Za-z_][A-Za-z0-9_]*`, at most 63 characters; a table may
 * be `schema.table`) and returns it quoted. Names are quoted as given, so case matters.
 *
 * @throws TypeError when the name is not a plain identifier
 */
export function quoteIdentifier(name: string, what: string, qualified = false): string {
  const parts = qualified ? name.split('.') : [name];
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new TypeError(
      `Invalid ${what} "${name}": use letters, digits and _ (at most 63, not starting with a digit)` +
        (qualified ? ', optionally as schema.table' : ''),
    );
  }
  return parts.map((p) => pg.escapeIdentifier(p)).join('.');
}
