import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { PostgresKind } from '../setup/global-setup.js';
import { createSchema, type TestSchema, type TestSchemaOptions } from './postgres.js';

function provided<K extends 'redisUrl' | 'databaseUrl' | 'postgresKind'>(key: K) {
  const value = inject(key);
  if (value === undefined) {
    throw new Error(
      `inject('${key}') is undefined: run the tests with the root vitest.config.ts, whose globalSetup ` +
        '(test/setup/global-setup.ts) finds Redis and Postgres.',
    );
  }
  return value;
}

/**
 * The Redis URL chosen by the global setup (REDIS_URL, the local 6379 server, or a private redis-server).
 * Shared by every test file: namespace keys and channels with {@link uniquePrefix}.
 */
export function redisUrl(): string {
  return provided('redisUrl');
}

/**
 * The Postgres connection string chosen by the global setup (DATABASE_URL, the local server's `test`
 * database, or embedded PGlite). Shared by every test file: use `createTestSchema()` for isolation.
 */
export function databaseUrl(): string {
  return provided('databaseUrl');
}

/**
 * `'server'` for a real Postgres, `'pglite'` for the embedded fallback, where all connections share one
 * session (LISTEN/NOTIFY, advisory locks and concurrent transactions do not behave like a server's):
 * guard such tests with `it.skipIf(postgresKind() === 'pglite')`.
 */
export function postgresKind(): PostgresKind {
  return provided('postgresKind');
}

/**
 * A prefix no other call returns, `t<12 hex>:` (or `t<12 hex>:<label>:`), for Redis keys, channels and
 * other shared names, so concurrently running tests never see each other's data.
 *
 * @param label - optional readable tag (characters outside `[A-Za-z0-9_-]` become `_`)
 * @returns e.g. `t3fa9c1d2e4b7:` or `t3fa9c1d2e4b7:cache:`
 */
export function uniquePrefix(label?: string): string {
  const id = `t${randomBytes(6).toString('hex')}:`;
  return label ? `${id}${label.replace(/[^A-Za-z0-9_-]/g, '_')}:` : id;
}

/**
 * Creates a fresh, uniquely named schema in the suite's test database (or `options.baseUrl`) and a pool
 * bound to it, so each test file (or test) can create the same table names without seeing anyone
 * else's rows. Works with a real Postgres and with the PGlite fallback.
 *
 * @example
 * ```ts
 * let db: TestSchema;
 * beforeAll(async () => { db = await createTestSchema('outbox'); });
 * afterAll(() => db.drop());
 * it('writes', async () => {
 *   await db.pool.query('create table events (id serial primary key)');   // lands in db.schema
 *   const sdk = createOutbox({ connectionString: db.connectionString });  // sees the same table
 * });
 * ```
 * @param label - readable tag embedded in the schema name (sanitized, truncated)
 * @param options - pool size, base URL
 * @returns the schema handle
 */
export function createTestSchema(label?: string, options: TestSchemaOptions = {}): Promise<TestSchema> {
  const { baseUrl, ...rest } = options;
  return createSchema(label, { ...rest, baseUrl: baseUrl ?? databaseUrl() });
}
