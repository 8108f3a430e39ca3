import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A private Postgres schema for one test file, test or benchmark; see {@link createSchema}. */
export interface TestSchema {
  /** Schema name, e.g. `t_outbox_5f1c0a9b3e`. Safe to use unquoted (lowercase letters, digits, `_`). */
  readonly schema: string;
  /**
   * Connection string whose `options=-c search_path=<schema>` makes any `new pg.Pool({ connectionString })`
   * (or the SDK given this string) create and find unqualified tables in the schema.
   */
  readonly connectionString: string;
  /** A pool bound to the schema (closed by {@link TestSchema.drop}). */
  readonly pool: pg.Pool;
  /**
   * Closes {@link TestSchema.pool} and drops the schema with everything in it. Idempotent. Close other
   * pools/clients that use the schema first, or their open transactions may block the DROP.
   */
  drop(): Promise<void>;
}

/** Options for `createTestSchema` (the base URL defaults to the suite's database there). */
export interface TestSchemaOptions {
  /** Size of {@link TestSchema.pool} (default 5). */
  max?: number;
  /** Base connection string (default in tests: the suite's `databaseUrl()`). */
  baseUrl?: string;
  /** `application_name` of {@link TestSchema.pool}'s connections (not of {@link TestSchema.connectionString}). */
  applicationName?: string | ((schema: string) => string);
}

/** Options for {@link createSchema}. */
export interface SchemaOptions extends TestSchemaOptions {
  /** Base connection string: the schema is created in its database. */
  baseUrl: string;
  /** First part of the schema name (default `t`). */
  prefix?: string;
}

/** Returns `url` with `application_name=<name>` (so a process's Postgres backends can be told apart). */
export function withAppName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/**
 * Returns `url` with `-c search_path=<schema>` added to its `options` query parameter (other options
 * are kept). node-postgres sends `options` in the startup packet, so the setting applies to every
 * connection opened from the returned string.
 *
 * @param url - a `postgres://` / `postgresql://` connection string
 * @param schema - the schema (a plain identifier: `[a-z_][a-z0-9_]*`)
 */
export function withSearchPath(url: string, schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`withSearchPath: unsupported schema name ${schema}`);
  const parsed = new URL(url);
  const existing = (parsed.searchParams.get('options') ?? '')
    .replace(/(?:^|\s)-c\s*search_path=\S+/g, '')
    .trim();
  const setting = `-c search_path=${schema}`;
  parsed.searchParams.set('options', existing ? `${existing} ${setting}` : setting);
  return parsed.toString();
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates a fresh, uniquely named schema in a database and a pool bound to it, so each test file, test
 * or benchmark can create the same table names without seeing anyone else's rows. Works with a real
 * Postgres and with the PGlite fallback.
 *
 * @example
 * ```ts
 * const db = await createSchema('outbox', { baseUrl: 'postgres://postgres@127.0.0.1:5432/test' });
 * await db.pool.query('create table events (id serial primary key)'); // lands in db.schema
 * const sdk = createOutbox({ connectionString: db.connectionString }); // sees the same table
 * await db.drop();
 * ```
 * @param label - readable tag embedded in the schema name (sanitized, truncated)
 * @param options - base URL, name prefix, pool size and application name
 * @returns the schema handle
 */
export async function createSchema(label: string | undefined, options: SchemaOptions): Promise<TestSchema> {
  const base = options.baseUrl;
  const tag = (label ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 30);
  const schema = `${options.prefix ?? 't'}_${tag ? `${tag}_` : ''}${randomBytes(5).toString('hex')}`;
  await admin(base, (client) => client.query(`create schema ${schema}`));
  const connectionString = withSearchPath(base, schema);
  const appName = options.applicationName;
  const poolUrl = appName
    ? withAppName(connectionString, typeof appName === 'string' ? appName : appName(schema))
    : connectionString;
  const pool = new pg.Pool({ connectionString: poolUrl, max: options.max ?? 5 });
  // An idle client losing its connection must not crash the process (chaos tests do that on purpose).
  pool.on('error', () => {});
  let dropped: Promise<void> | undefined;
  return {
    schema,
    connectionString,
    pool,
    drop() {
      dropped ??= (async () => {
        await pool.end();
        await admin(base, (client) => client.query(`drop schema if exists ${schema} cascade`));
      })();
      return dropped;
    },
  };
}
