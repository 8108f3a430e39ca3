import type pg from 'pg';

/** Anything that runs a parameterized query: a pool, or the client of a transaction. */
export type Queryable = pg.Pool | pg.PoolClient | pg.ClientBase;

/** Postgres `bigint` arrives as text: versions stay far below 2^53. */
export function toVersion(value: unknown): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new TypeError(`Not a version: ${String(value)}`);
  return n;
}

/** A Discord snowflake (1–20 digits); ids are checked before they reach SQL or a cache key. */
export const SNOWFLAKE = /^\d{1,20}$/;
