import type pg from 'pg';
import { type Logger, silentLogger } from '../../logger.js';
import {
  FORBIDDEN_KEYS_PATH,
  MIGRATE_LOCK_SQL,
  OUTBOX_NOTIFY_CHANNEL,
  OUTBOX_PAYLOAD_CHECK,
  OUTBOX_TABLE,
} from './sql.js';
import { connectWithin } from './timeouts.js';

/**
 * Options of {@link migrate}.
 *
 * @example
 * ```ts
 * await migrate(pool, { lockTimeoutMs: 5000, logger });
 * ```
 */
export interface MigrateOptions {
  /**
   * How long to wait for another process that is migrating the same schema (or for a lock on
   * the table) before failing.
   * @defaultValue 30000
   */
  lockTimeoutMs?: number;
  /**
   * A pino-compatible logger (`Created sync_outbox in schema …` at info).
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Defaults of {@link MigrateOptions}.
 *
 * @example
 * ```ts
 * DefaultMigrateOptions.lockTimeoutMs; // 30000
 * ```
 */
export const DefaultMigrateOptions = {
  lockTimeoutMs: 30_000,
} as const satisfies Omit<Required<MigrateOptions>, 'logger'>;

/**
 * What {@link migrate} found and did.
 *
 * @example
 * ```ts
 * const { schema, created } = await migrate(pool);
 * ```
 */
export interface MigrateResult {
  /** The schema holding `sync_outbox` (the first schema of the `search_path`). */
  schema: string;
  /** Whether the table was created by this call (false: it was there already). */
  created: boolean;
}

const T = OUTBOX_TABLE;

/**
 * Every statement is idempotent: a later version of the SDK appends statements (`ADD COLUMN IF
 * NOT EXISTS`, …) and running all of them again is always safe.
 */
const STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${T} (
    id           bigserial   PRIMARY KEY,
    channel      text        NOT NULL,
    payload      jsonb       NOT NULL,
    event_id     text        NOT NULL,
    guild_id     text,
    version      bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    failed_at    timestamptz,
    claimed_until timestamptz
  )`,
  // Tables created by 0.1 lack the fast-path claim.
  `ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS claimed_until timestamptz`,
  `CREATE INDEX IF NOT EXISTS ${T}_pending_idx ON ${T} (id) WHERE published_at IS NULL AND failed_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS ${T}_pending_guild_idx ON ${T} (guild_id, id)
    WHERE published_at IS NULL AND failed_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS ${T}_published_at_idx ON ${T} (published_at) WHERE published_at IS NOT NULL`,
  // The payload names the schema so relays of other schemas (same database) can ignore it. Rows
  // claimed by their writer's fast path wake nobody (the writer publishes them itself), and the
  // trigger's WHEN skips them without calling the function: the fast path pays nothing for it.
  `CREATE OR REPLACE FUNCTION ${T}_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', TG_TABLE_SCHEMA);
    RETURN NULL;
  END
  $fn$`,
  // Row-level with a WHEN; Postgres folds the identical NOTIFYs of one transaction into one.
  // Recreated when it is an older form (statement-level, or without the WHEN).
  `DO $do$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = '${T}'::regclass AND tgname = '${T}_notify'
                   AND tgtype & 1 = 1 AND tgqual IS NOT NULL) THEN
      DROP TRIGGER IF EXISTS ${T}_notify ON ${T};
      CREATE TRIGGER ${T}_notify AFTER INSERT ON ${T}
        FOR EACH ROW WHEN (NEW.claimed_until IS NULL) EXECUTE FUNCTION ${T}_notify();
    END IF;
  END
  $do$`,
  // What every receiver drops is refused by the table too, for events built in SQL
  // (versionedUpdateStatement): no __proto__/constructor/prototype key at any depth. NOT VALID:
  // rows already there are not re-checked. An older form of the check (the same rule, asked more
  // slowly) is replaced.
  `DO $do$
  BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '${T}'::regclass
               AND conname = '${OUTBOX_PAYLOAD_CHECK}' AND pg_get_constraintdef(oid) LIKE '%keyvalue%') THEN
      ALTER TABLE ${T} DROP CONSTRAINT ${OUTBOX_PAYLOAD_CHECK};
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '${T}'::regclass
                   AND conname = '${OUTBOX_PAYLOAD_CHECK}') THEN
      ALTER TABLE ${T} ADD CONSTRAINT ${OUTBOX_PAYLOAD_CHECK}
        CHECK (NOT jsonb_path_exists(payload, '${FORBIDDEN_KEYS_PATH}')) NOT VALID;
    END IF;
  END
  $do$`,
];

function isPool(db: pg.Pool | pg.ClientBase): db is pg.Pool {
  return typeof (db as pg.Pool).totalCount === 'number';
}

/**
 * Creates the SDK's own tables (`sync_outbox`, its indexes and its NOTIFY trigger) in the first
 * schema of the connection's `search_path`. Idempotent, and safe when several processes run it
 * at once (they take turns on a transaction-level advisory lock per schema). Runs in its own
 * transaction: give a pool, or a client that is not inside a transaction.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from '@wolaro/sync/pg';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool); // at start-up, before the relay and the first write
 * ```
 */
export async function migrate(
  db: pg.Pool | pg.ClientBase,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger;
  const lockTimeoutMs = options.lockTimeoutMs ?? DefaultMigrateOptions.lockTimeoutMs;
  const client = isPool(db) ? await connectWithin(db) : db;
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      await client.query(MIGRATE_LOCK_SQL);
      const { rows } = await client.query<{ schema: string | null; exists: boolean }>(
        `SELECT current_schema() AS schema,
          to_regclass(quote_ident(current_schema()) || '.${T}') IS NOT NULL AS exists`,
      );
      const schema = rows[0]?.schema;
      if (!schema) throw new Error('migrate: no schema of the search_path exists (current_schema() is null)');
      for (const sql of STATEMENTS) await client.query(sql);
      await client.query('COMMIT');
      const created = rows[0]?.exists === false;
      if (created) logger.info({ schema, table: T }, `Created ${T} in schema ${schema}`);
      return { schema, created };
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    }
  } finally {
    if (client !== db) (client as pg.PoolClient).release(broken);
  }
}
