import {
  createTestSchema,
  databaseUrl,
  postgresKind,
  type TestSchema,
  withSearchPath,
} from '@wolaro/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('createTestSchema', () => {
  let a: TestSchema;
  let b: TestSchema;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestSchema('iso A'), createTestSchema('iso A')]);
  });
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it('names schemas uniquely from the label', () => {
    expect(a.schema).toMatch(/^t_iso_a_[0-9a-f]{10}$/);
    expect(b.schema).not.toBe(a.schema);
    expect(['server', 'pglite']).toContain(postgresKind());
  });

  it('sets search_path through the connection string for a plain new pg.Pool', async () => {
    expect(new URL(a.connectionString).searchParams.get('options')).toBe(`-c search_path=${a.schema}`);
    const pool = new pg.Pool({ connectionString: a.connectionString, max: 2 });
    try {
      const { rows } = await pool.query<{ search_path: string }>('show search_path');
      expect(rows[0]?.search_path).toBe(a.schema);
      await pool.query('create table made_by_plain_pool (id int)');
      const where = await a.pool.query<{ table_schema: string }>(
        `select table_schema from information_schema.tables where table_name = 'made_by_plain_pool'`,
      );
      expect(where.rows.map((r) => r.table_schema)).toEqual([a.schema]);
    } finally {
      await pool.end();
    }
  });

  it('isolates two schemas that use the same table names, even under concurrent load', async () => {
    await Promise.all([
      a.pool.query('create table items (id serial primary key, owner text not null)'),
      b.pool.query('create table items (id serial primary key, owner text not null)'),
    ]);
    const work = (db: TestSchema, owner: string) =>
      Array.from({ length: 20 }, async (_, i) => {
        await db.pool.query('insert into items (owner) values ($1)', [`${owner}${i}`]);
        const { rows } = await db.pool.query<{ owner: string }>(
          'select distinct left(owner, 1) as owner from items',
        );
        return rows.map((r) => r.owner);
      });
    const seen = await Promise.all([...work(a, 'a'), ...work(b, 'b')]);
    expect(seen.slice(0, 20).every((owners) => owners.join() === 'a')).toBe(true);
    expect(seen.slice(20).every((owners) => owners.join() === 'b')).toBe(true);
    const count = async (db: TestSchema) =>
      Number((await db.pool.query<{ n: string }>('select count(*) as n from items')).rows[0]?.n);
    expect(await count(a)).toBe(20);
    expect(await count(b)).toBe(20);
  });

  it('withSearchPath keeps other options and replaces an older search_path', () => {
    const url = withSearchPath(
      'postgres://u@h:5432/db?options=-c%20statement_timeout%3D5s&sslmode=disable',
      'x1',
    );
    const parsed = new URL(withSearchPath(url, 'y2'));
    expect(parsed.searchParams.get('options')).toBe('-c statement_timeout=5s -c search_path=y2');
    expect(parsed.searchParams.get('sslmode')).toBe('disable');
    expect(() => withSearchPath(url, 'Robert"; drop')).toThrow(/unsupported schema name/);
  });

  it('drop() removes the schema and its tables, and is idempotent', async () => {
    const c = await createTestSchema();
    expect(c.schema).toMatch(/^t_[0-9a-f]{10}$/);
    await c.pool.query('create table doomed (id int)');
    await Promise.all([c.drop(), c.drop()]);
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query(
        'select 1 from information_schema.schemata where schema_name = $1',
        [c.schema],
      );
      expect(rows).toHaveLength(0);
    } finally {
      await client.end();
    }
  });
});
