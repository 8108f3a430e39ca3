import { type Logger, silentLogger } from '@wolaro/sync';
import { migrate as migrateOutbox, withTransaction } from '@wolaro/sync/pg';
import type pg from 'pg';
import { DEFAULT_SETTINGS } from './defaults.js';

/** One schema change. Ids only grow; a shipped migration is never edited. */
interface Migration {
  id: number;
  name: string;
  statements: readonly string[];
}

const DEFAULT_SETTINGS_JSON = JSON.stringify(DEFAULT_SETTINGS).replace(/'/g, "''");

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'panel schema',
    statements: [
      `CREATE TABLE IF NOT EXISTS guilds (
        guild_id    text PRIMARY KEY CHECK (guild_id ~ '^[0-9]{1,20}$'),
        name        text NOT NULL DEFAULT '',
        owner_id    text,
        icon        text,
        settings    jsonb NOT NULL DEFAULT '${DEFAULT_SETTINGS_JSON}'::jsonb,
        version     bigint NOT NULL DEFAULT 1,
        bot_present boolean NOT NULL DEFAULT true,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS guild_modules (
        guild_id text NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
        name     text NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
        enabled  boolean NOT NULL DEFAULT false,
        config   jsonb NOT NULL DEFAULT '{}'::jsonb,
        version  bigint NOT NULL DEFAULT 1,
        PRIMARY KEY (guild_id, name)
      )`,
      `CREATE TABLE IF NOT EXISTS guild_members (
        guild_id    text NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
        user_id     text NOT NULL CHECK (user_id ~ '^[0-9]{1,20}$'),
        username    text,
        permissions text NOT NULL DEFAULT '0' CHECK (permissions ~ '^[0-9]{1,20}$'),
        is_owner    boolean NOT NULL DEFAULT false,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (guild_id, user_id)
      )`,
      'CREATE INDEX IF NOT EXISTS guild_members_user_idx ON guild_members (user_id)',
      `CREATE TABLE IF NOT EXISTS panel_sessions (
        session_id uuid PRIMARY KEY,
        user_id    text NOT NULL,
        username   text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`,
      'CREATE INDEX IF NOT EXISTS panel_sessions_user_idx ON panel_sessions (user_id)',
      `CREATE TABLE IF NOT EXISTS config_revisions (
        id         bigserial PRIMARY KEY,
        guild_id   text NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
        version    bigint NOT NULL,
        settings   jsonb NOT NULL,
        modules    jsonb NOT NULL,
        changed_by text,
        change     text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (guild_id, version)
      )`,
      `CREATE TABLE IF NOT EXISTS audit_log (
        id          bigserial PRIMARY KEY,
        guild_id    text NOT NULL,
        command     text NOT NULL,
        executor_id text NOT NULL,
        executor    text,
        result      text NOT NULL CHECK (result IN ('success', 'error', 'denied')),
        created_at  timestamptz NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX IF NOT EXISTS audit_log_guild_idx ON audit_log (guild_id, id DESC)',
    ],
  },
  {
    id: 2,
    name: 'history retention indexes',
    statements: [
      'CREATE INDEX IF NOT EXISTS audit_log_created_idx ON audit_log (created_at)',
      'CREATE INDEX IF NOT EXISTS config_revisions_created_idx ON config_revisions (created_at)',
    ],
  },
  {
    id: 3,
    name: 'audit entries keyed by run',
    statements: [
      // The interaction's (or message's) id: a record retried after a lost COMMIT answer is
      // written once. Older rows have none (NULLs never conflict).
      'ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS run_id text',
      'CREATE UNIQUE INDEX IF NOT EXISTS audit_log_run_idx ON audit_log (run_id)',
    ],
  },
];

/** Namespace of the migration advisory lock ("WPAN"); the second key is the schema. */
const LOCK_SQL = `SELECT pg_advisory_xact_lock(${0x5750414e}, hashtext(current_schema()))`;

/** What {@link runMigrations} did. */
export interface MigrationResult {
  /** The schema migrated (first of the search_path). */
  schema: string;
  /** Ids of the migrations applied by this call (empty when the schema was up to date). */
  applied: number[];
}

/**
 * Creates or upgrades the panel's tables, then the SDK's outbox table (`migrate()` from
 * `@wolaro/sync/pg`). Safe to run on every start and from several processes at once: it runs in
 * one transaction under an advisory lock and records what it applied in `panel_migrations`.
 *
 * @example
 * ```ts
 * const { pool } = await createDatabase(config);
 * await runMigrations(pool);
 * ```
 */
export async function runMigrations(pool: pg.Pool, logger: Logger = silentLogger): Promise<MigrationResult> {
  // Another process may be migrating: wait for it (the pool's short lock and statement limits are
  // for requests, not for schema changes).
  const limits = { lockTimeoutMs: 60_000, statementTimeoutMs: 0 };
  const result = await withTransaction(
    pool,
    async (client) => {
      await client.query(LOCK_SQL);
      const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      const schema = rows[0]?.schema;
      if (!schema) throw new Error('No schema in the search_path exists (current_schema() is null)');
      await client.query(`CREATE TABLE IF NOT EXISTS panel_migrations (
      id         integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
      const done = await client.query<{ id: number }>('SELECT id FROM panel_migrations');
      const have = new Set(done.rows.map((r) => r.id));
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (have.has(migration.id)) continue;
        for (const sql of migration.statements) await client.query(sql);
        await client.query('INSERT INTO panel_migrations (id, name) VALUES ($1, $2)', [
          migration.id,
          migration.name,
        ]);
        applied.push(migration.id);
      }
      return { schema, applied };
    },
    limits,
  );
  await migrateOutbox(pool, { logger });
  if (result.applied.length > 0) {
    logger.info(result, `Applied panel migrations ${result.applied.join(', ')} in schema ${result.schema}`);
  }
  return result;
}
