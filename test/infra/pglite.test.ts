import { createTestSchema, type TestSchema, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listenStatements,
  type PgliteServer,
  startPgliteServer,
  startupSearchPath,
} from '../setup/pglite-server.js';

/** The embedded fallback is exercised here directly, whatever the global setup chose for this run. */
describe('PGlite fallback server', () => {
  let server: PgliteServer;
  let a: TestSchema;
  let b: TestSchema;
  beforeAll(async () => {
    server = await startPgliteServer();
    [a, b] = await Promise.all([
      createTestSchema('lite', { baseUrl: server.url }),
      createTestSchema('lite', { baseUrl: server.url }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.drop(), b?.drop()]);
    await server?.stop();
  });

  it('gives every connection the search_path of its connection string', async () => {
    const pools = [a, b].map((db) => new pg.Pool({ connectionString: db.connectionString, max: 3 }));
    try {
      const paths = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const { rows } = await pools[i % 2]!.query<{ search_path: string }>('show search_path');
          return rows[0]?.search_path;
        }),
      );
      expect(paths).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a.schema : b.schema)));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('keeps same-named tables apart under interleaved parameterized queries', async () => {
    await a.pool.query('create table items (id serial primary key, owner text not null)');
    await b.pool.query('create table items (id serial primary key, owner text not null)');
    const work = (db: TestSchema, owner: string) =>
      Array.from({ length: 15 }, async (_, i) => {
        const inserted = await db.pool.query<{ owner: string }>(
          'insert into items (owner) values ($1) returning owner',
          [`${owner}-${i}`],
        );
        const { rows } = await db.pool.query<{ owners: string }>(
          `select string_agg(distinct split_part(owner, '-', 1), ',') as owners from items where id > $1`,
          [0],
        );
        return `${inserted.rows[0]?.owner.split('-')[0]}:${rows[0]?.owners}`;
      });
    const results = await Promise.all([...work(a, 'a'), ...work(b, 'b')]);
    expect(new Set(results)).toEqual(new Set(['a:a', 'b:b']));
  });

  it('serializes transactions and keeps a connection SET search_path across switches', async () => {
    const client = new pg.Client({ connectionString: a.connectionString });
    await client.connect();
    try {
      await client.query(`set search_path to ${b.schema}`);
      await client.query('begin');
      await client.query(`insert into items (owner) values ('tx')`);
      // another connection's query must wait for the commit, then not see a's session settings
      const other = b.pool.query<{ n: string }>(`select count(*) as n from items where owner = 'tx'`);
      await client.query('commit');
      expect((await other).rows[0]?.n).toBe('1'); // committed into b's items via the SET
      await a.pool.query('select 1');
      const { rows } = await client.query<{ search_path: string }>('show search_path');
      expect(rows[0]?.search_path).toBe(b.schema);
    } finally {
      await client.end();
    }
  });

  it('rolls back the open transaction of a connection that disappears', async () => {
    const client = new pg.Client({ connectionString: a.connectionString });
    client.on('error', () => {});
    await client.connect();
    await client.query('begin');
    await client.query(`insert into items (owner) values ('ghost')`);
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const n = await waitFor(
      async () =>
        (await a.pool.query<{ n: string }>(`select count(*) as n from items where owner = 'ghost'`)).rows[0]
          ?.n,
      { timeoutMs: 3000 },
    );
    expect(n).toBe('0');
  });

  it('delivers NOTIFY to the listening connections only, surviving another UNLISTEN', async () => {
    const connect = async () => {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const got: string[] = [];
      client.on('notification', (n) => got.push(`${n.channel}=${n.payload}`));
      return { client, got };
    };
    const [listener, sender, other] = await Promise.all([connect(), connect(), connect()]);
    try {
      await listener.client.query('LISTEN "cfg:update"; LISTEN plain');
      await other.client.query('LISTEN "cfg:update"');
      await other.client.query('UNLISTEN "cfg:update"'); // must not stop delivery to `listener`
      await sender.client.query(`NOTIFY "cfg:update", 'one'`);
      await sender.client.query(`select pg_notify('cfg:update', $1)`, ['two']);
      await sender.client.query('begin');
      await sender.client.query(`NOTIFY PLAIN, 'three'`); // unquoted: folded to lower case
      await sender.client.query('commit');
      await waitFor(() => listener.got.length === 3, { timeoutMs: 3000 });
      expect(listener.got).toEqual(['cfg:update=one', 'cfg:update=two', 'plain=three']);
      expect(sender.got).toEqual([]);
      expect(other.got).toEqual([]);
    } finally {
      await Promise.all([listener, sender, other].map(({ client }) => client.end()));
    }
  });

  it('parses LISTEN / UNLISTEN statements', () => {
    expect(listenStatements('LISTEN "a:b"; listen Foo;UNLISTEN *; unlisten "x""y"')).toEqual({
      listen: ['a:b', 'foo'],
      unlisten: ['*', 'x"y'],
    });
    expect(listenStatements(`select 'listen to me'`)).toEqual({ listen: [], unlisten: [] });
  });

  it('parses search_path from startup options', () => {
    const startup = (params: Record<string, string>) => {
      const body = Buffer.concat([
        ...Object.entries(params).map(([k, v]) => Buffer.from(`${k}\0${v}\0`)),
        Buffer.from([0]),
      ]);
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + body.length, 0);
      head.writeInt32BE(196608, 4);
      return new Uint8Array(Buffer.concat([head, body]));
    };
    expect(startupSearchPath(startup({ user: 'u', options: '-c search_path=s1' }))).toBe('s1');
    expect(startupSearchPath(startup({ options: '-c statement_timeout=1s -csearch_path=s2' }))).toBe('s2');
    expect(startupSearchPath(startup({ options: '--search-path=s3' }))).toBe('s3');
    expect(startupSearchPath(startup({ options: '-c search_path=a,\\ b' }))).toBe('a, b');
    expect(startupSearchPath(startup({ user: 'u' }))).toBeUndefined();
  });
});
