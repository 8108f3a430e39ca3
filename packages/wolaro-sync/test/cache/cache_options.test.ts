import { captureLogger, redisUrl } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import {
  createGuildConfigSync,
  GuildConfigCache,
  InvalidOptionsError,
  RedisFallbackManager,
  type RedisFallbackManagerOptions,
} from '../../src/index.js';
import { defer } from './helpers.js';
import { fakeSource } from './stand_ins.js';

// The option schemas of the cache module: each bad option is refused at construction with one
// issue naming its path, and the edge values that are allowed are accepted.

/** The issues of the `InvalidOptionsError` that `build` throws (synchronously or as a rejection). */
async function issuesOf(build: () => unknown): Promise<readonly string[]> {
  let error: unknown;
  try {
    await build();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(InvalidOptionsError);
  return (error as InvalidOptionsError).issues;
}

const loader = async () => null;

describe('RedisFallbackManager options', () => {
  const build = (options: Partial<RedisFallbackManagerOptions>) => () =>
    new RedisFallbackManager({ redis: redisUrl(), ...options } as RedisFallbackManagerOptions);

  it('refuses each bad option with an issue naming it', async () => {
    const cases: [Partial<RedisFallbackManagerOptions>, string][] = [
      [{ defaultTtlSeconds: 0 }, 'defaultTtlSeconds: must be > 0'],
      [{ healthCheckIntervalMs: 1.5 }, 'healthCheckIntervalMs: must be an integer'],
      [{ commandTimeoutMs: 0 }, 'commandTimeoutMs: must be > 0'],
      [{ connectTimeoutMs: -5 }, 'connectTimeoutMs: must be > 0'],
      [{ memory: { max: 0 } }, 'memory.max: Too small: expected number to be >0'],
      [{ memory: { max: 2.5 } }, 'memory.max: Invalid input: expected int, received number'],
      [{ memory: { maxSize: -1 } }, 'memory.maxSize: must be > 0'],
      [{ ttlJitter: -0.1 }, 'ttlJitter: Too small: expected number to be >=0'],
      [{ ttlJitter: 0.95 }, 'ttlJitter: Too big: expected number to be <=0.9'],
      [{ keyPrefix: 'has space' }, 'keyPrefix: must match [A-Za-z0-9:._-]{0,64}'],
      [{ maxKeyLength: 0 }, 'maxKeyLength: Too small: expected number to be >0'],
      [{ maxKeyLength: 10.5 }, 'maxKeyLength: Invalid input: expected int, received number'],
      [{ logger: {} as never }, 'logger: must have debug/info/warn/error methods (a pino logger fits)'],
      [
        { redis: 42 as never },
        'redis: must be a Redis URL (redis://, rediss:// or a socket path), ioredis options (Sentinel too), { cluster: [...] } or an ioredis client',
      ],
    ];
    for (const [options, issue] of cases) {
      expect(await issuesOf(build(options)), JSON.stringify(options)).toEqual([issue]);
    }
  });

  it('accepts the edge values of every bounded option', async () => {
    const cache = build({
      ttlJitter: 0.9,
      memory: { max: 1, maxSize: 1 },
      maxKeyLength: 1,
      keyPrefix: '',
      connectTimeoutMs: 1,
      logger: captureLogger(),
    })();
    defer(() => cache.close());
    await cache.ready();
    expect(cache.keyPrefix).toBe('');
    const noJitter = build({ ttlJitter: 0 })();
    defer(() => noJitter.close());
    await noJitter.ready();
    expect(noJitter.defaultTtlSeconds).toBe(3600);
  });
});

describe('GuildConfigCache options', () => {
  const build = (options: Record<string, unknown>) => () =>
    new GuildConfigCache({ sync: fakeSource().source, load: loader, ...options } as never);

  it('refuses each bad option with an issue naming it', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sync: { subscribe() {}, on() {} } }, 'sync: must be a SyncClient (subscribe/on/off methods)'],
      [
        { cache: { getJSONEntry() {}, setJSON() {}, invalidate() {} } },
        'cache: must be a RedisFallbackManager',
      ],
      [{ load: 'db' }, 'load: must be a function (guildId => Promise<GuildConfig | null>)'],
      [{ loadVersions: {} }, 'loadVersions: must be a function (guildIds => Promise<Map<guildId, version>>)'],
      [{ l1: { max: 0 } }, 'l1.max: Too small: expected number to be >0'],
      [{ l1: { max: 1.5 } }, 'l1.max: Invalid input: expected int, received number'],
      [{ l1: { ttlMs: 0 } }, 'l1.ttlMs: must be > 0'],
      [{ l2TtlSeconds: -1 }, 'l2TtlSeconds: must be > 0'],
      [{ maxStaleLoads: -1 }, 'maxStaleLoads: Too small: expected number to be >=0'],
      [{ maxStaleLoads: 0.5 }, 'maxStaleLoads: Invalid input: expected int, received number'],
      [{ resyncConcurrency: 0 }, 'resyncConcurrency: Too small: expected number to be >0'],
      [{ resyncConcurrency: 1.5 }, 'resyncConcurrency: Invalid input: expected int, received number'],
      [{ logger: { info() {} } }, 'logger: must have debug/info/warn/error methods (a pino logger fits)'],
    ];
    for (const [options, issue] of cases) {
      expect(await issuesOf(build(options)), JSON.stringify(Object.keys(options))).toEqual([issue]);
    }
  });

  it('names itself in the message of an options error', () => {
    expect(build({ resyncConcurrency: 0 })).toThrowError(
      /^GuildConfigCache: invalid options: resyncConcurrency: Too small: expected number to be >0$/,
    );
  });

  it('accepts the edge values: maxStaleLoads 0, resyncConcurrency 1, l1 of one entry', () => {
    const configs = build({ maxStaleLoads: 0, resyncConcurrency: 1, l1: { max: 1, ttlMs: 1 } })();
    expect(configs.stats().size).toBe(0);
  });
});

describe('createGuildConfigSync options', () => {
  const build = (options: Record<string, unknown>) => () =>
    createGuildConfigSync({ redis: false, load: loader, ...options } as never);

  it('refuses each bad option with an issue naming it', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ keyPrefix: 'a b' }, 'keyPrefix: must match [A-Za-z0-9:._-]{0,64}'],
      [{ load: undefined }, 'load: must be a function (guildId => Promise<GuildConfig | null>)'],
      [{ loadVersions: 5 }, 'loadVersions: must be a function (guildIds => Promise<Map<guildId, version>>)'],
      [{ connectTimeoutMs: 0 }, 'connectTimeoutMs: must be > 0'],
      [{ l1: { max: 0 } }, 'l1.max: Too small: expected number to be >0'],
      [{ l1: { max: 2.5 } }, 'l1.max: Invalid input: expected int, received number'],
      [{ l1: { ttlMs: 0 } }, 'l1.ttlMs: must be > 0'],
      [{ logger: {} }, 'logger: must have debug/info/warn/error methods (a pino logger fits)'],
      [
        { redis: true },
        'redis: must be a Redis URL (redis://, rediss:// or a socket path), ioredis options (Sentinel too), { cluster: [...] } or an ioredis client',
      ],
    ];
    for (const [options, issue] of cases) {
      expect(await issuesOf(build(options)), JSON.stringify(Object.keys(options))).toEqual([issue]);
    }
  });

  it('names the function and the accepted inputs when redis is undefined', async () => {
    const error = await build({ redis: undefined })().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe(
      'createGuildConfigSync: invalid options: redis: is undefined (an unset environment variable?): give a Redis URL, ioredis options or an ioredis client, or `false` for the in-process bus',
    );
  });

  it('accepts redis: false with every optional piece', async () => {
    const guilds = await build({
      keyPrefix: 'p:',
      loadVersions: async () => new Map(),
      connectTimeoutMs: 100,
      l1: { max: 1, ttlMs: 1000 },
      logger: captureLogger(),
    })();
    defer(() => guilds.close());
    expect(guilds.cache).toBeUndefined();
    expect(guilds.sync.transport.name).toBe('memory');
  });
});
