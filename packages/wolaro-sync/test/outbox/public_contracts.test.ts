import { describe, expect, it } from 'vitest';
import { PreconditionFailedError, RowNotFoundError, sql, sqlQuery } from '../../src/pg/index.js';

// What adopters match on without an instance at hand: the error codes as static fields, and the
// SQL fragment brand that two copies of the SDK (two versions in one node_modules) share.

describe('outbox error codes', () => {
  it('each class carries its code as a static field, the same as its instances', () => {
    expect(RowNotFoundError.code).toBe('E_ROW_NOT_FOUND');
    expect(new RowNotFoundError('guilds', '1').code).toBe(RowNotFoundError.code);
    expect(PreconditionFailedError.code).toBe('E_PRECONDITION_FAILED');
    expect(new PreconditionFailedError('guilds', '1').code).toBe(PreconditionFailedError.code);
  });
});

describe('sql fragments', () => {
  it('a fragment made by another copy of the SDK (same registry brand) nests as SQL, not as a parameter', () => {
    // What `sql` of another copy returns: the brand is Symbol.for('wolaro.sql.fragment').
    const foreign = {
      [Symbol.for('wolaro.sql.fragment')]: true,
      strings: ['owner_id = ', ''],
      values: ['42'],
    };
    expect(sqlQuery(sql`SELECT 1 WHERE ${foreign}`)).toEqual({
      text: 'SELECT 1 WHERE owner_id = $1',
      values: ['42'],
    });
  });
});
