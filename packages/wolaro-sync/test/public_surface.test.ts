import { describe, expect, it } from 'vitest';

// What lives under src/internal/ is not part of the API: it must not leak through an entry point.
const INTERNAL = [
  'toError',
  'BaseTransport',
  'isRedisClient',
  'createRedisClient',
  'waitForReady',
  'eventIdOf',
  'assertValidPrefix',
  'formatIssues',
  'MessageSigner',
  'stripSignature',
  'wireProblem',
  'hasForbiddenKey',
  'assertPublishable',
  'parseForPublish',
];

describe('public surface', () => {
  it.each([
    ['@wolaro/sync', () => import('../src/index.js')],
    ['@wolaro/sync/pg', () => import('../src/pg/index.js')],
    ['@wolaro/sync/discord', () => import('../src/discord/index.js')],
  ])('%s exports no internal helper', async (_name, load) => {
    const names = Object.keys(await load());
    expect(names.filter((n) => INTERNAL.includes(n))).toEqual([]);
  });

  it('still exports the public transports and helpers', async () => {
    const api = await import('../src/index.js');
    for (const name of [
      'SyncClient',
      'RedisTransport',
      'MemoryTransport',
      'FailoverTransport',
      'decodePayload',
    ]) {
      expect(api).toHaveProperty(name);
    }
  });
});
