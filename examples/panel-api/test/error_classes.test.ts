import { describe, expect, it } from 'vitest';
import { toApiError } from '../src/http/error_handler.js';

// How a failure reaching the error middleware is answered: database trouble is a 503 the caller
// may retry (with Retry-After), never a 500. A narrow unit test of the classification, with the
// errors as pg raises them.
describe('toApiError: database failures', () => {
  it.each([
    ['55P03', 'canceling statement due to lock timeout', 'database_busy'],
    ['57014', 'canceling statement due to statement timeout', 'database_busy'],
    ['53300', 'sorry, too many clients already', 'database_busy'],
    [undefined, 'timeout exceeded when trying to connect', 'database_busy'],
    [undefined, 'Query read timeout', 'database_busy'],
    ['57P01', 'terminating connection due to administrator command', 'database_unavailable'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432', 'database_unavailable'],
    [undefined, 'Connection terminated unexpectedly', 'database_unavailable'],
    [undefined, 'Client has encountered a connection error and is not queryable', 'database_unavailable'],
  ])('%s %s → 503 %s with Retry-After', (code, message, expected) => {
    const error = toApiError(Object.assign(new Error(message), code === undefined ? {} : { code }));
    expect([error.status, error.code]).toEqual([503, expected]);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('anything else is a 500 internal', () => {
    const error = toApiError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect([error.status, error.code]).toEqual([500, 'internal']);
  });
});
