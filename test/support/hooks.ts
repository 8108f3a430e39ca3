import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/**
 * Records what is thrown at the process (`uncaughtException`) during each test of the calling file:
 * the returned array is emptied before each test and fills while it runs.
 *
 * @example
 * ```ts
 * const uncaught = captureUncaught();
 * it('survives a dead connection', async () => {
 *   // ...
 *   expect(uncaught).toEqual([]);
 * });
 * ```
 */
export function captureUncaught(): readonly Error[] {
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  beforeEach(() => {
    uncaught.length = 0;
    process.on('uncaughtException', onUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', onUncaught);
  });
  return uncaught;
}

/**
 * Starts one fixture for the whole calling file (`beforeAll`) and stops it after its last test; the
 * returned getter gives the running fixture.
 *
 * @example
 * ```ts
 * const cluster = startedForFile(() => startRedisCluster({ masters: 3 }), 60_000);
 * it('sees three masters', async () => expect(await cluster().masters()).toHaveLength(3));
 * ```
 */
export function startedForFile<T extends { stop(): unknown }>(
  start: () => Promise<T>,
  timeoutMs?: number,
): () => T {
  let fixture: T | undefined;
  beforeAll(async () => {
    fixture = await start();
  }, timeoutMs);
  afterAll(() => fixture?.stop());
  return () => {
    if (!fixture) throw new Error('the fixture did not start (see the beforeAll error)');
    return fixture;
  };
}

/**
 * Starts one fixture for the calling file or `describe` block (`beforeAll`), closes it after its
 * last test, and returns a stand-in for it: reading a property of the stand-in (inside tests and
 * hooks) reads the started fixture's.
 *
 * @example
 * ```ts
 * const w = fixtureForSuite(() => startWorld({ label: 'guilds' }));
 * it('answers', async () => expect((await w.request('GET', '/api/health')).status).toBe(200));
 * ```
 */
export function fixtureForSuite<T extends { close(): unknown }>(
  start: () => Promise<T>,
  timeoutMs?: number,
): T {
  let fixture: T | undefined;
  beforeAll(async () => {
    fixture = await start();
  }, timeoutMs);
  afterAll(() => fixture?.close());
  return new Proxy({} as T, {
    get(_, key) {
      if (!fixture) throw new Error('the fixture did not start (see the beforeAll error)');
      return fixture[key as keyof T];
    },
  });
}
