import { createTestSchema, redisUrl, uniquePrefix } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { watchPermissionRevocations, withCommandEvents } from '../src/discord/index.js';
import {
  FailoverTransport,
  GuildConfigCache,
  InvalidOptionsError,
  MemoryTransport,
  PgUnavailableError,
  RedisFallbackManager,
  RedisTransport,
  RedisUnavailableError,
  SyncClient,
} from '../src/index.js';
import { migrate, OutboxRelay, PgNotifyTransport } from '../src/pg/index.js';

/** The issues of the `InvalidOptionsError` that `build` throws. */
function issuesOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as InvalidOptionsError).code).toBe('E_INVALID_OPTIONS');
    return (err as InvalidOptionsError).issues;
  }
  throw new Error('expected the constructor to throw');
}

describe('constructors validate their options up front', () => {
  it('SyncClient: an undefined URL is an error, never a silent memory bus', () => {
    const issues = issuesOf(
      () => new SyncClient({ redis: undefined, keyPrefix: 'bad prefix!', listen: 3 } as never),
    );
    expect(issues).toHaveLength(3);
    expect(issues.join('\n')).toMatch(/^keyPrefix: must match/m);
    expect(issues.join('\n')).toMatch(/^listen: must be true, false or a list/m);
    expect(issues.join('\n')).toMatch(
      /^redis: is undefined \(an unset environment variable\?\).*transport: 'memory'/m,
    );
    expect(() => new SyncClient({} as never)).toThrow(/redis: is required/);
    expect(() => new SyncClient(undefined as never)).toThrow(/options must be an object/);
  });

  it('SyncClient: wrong types and conflicting choices are listed', () => {
    expect(issuesOf(() => new SyncClient({ redis: 42 } as never))).toEqual([
      'redis: must be a Redis URL (redis://, rediss:// or a socket path), ioredis options (Sentinel too), { cluster: [...] } or an ioredis client',
    ]);
    const both = issuesOf(() => new SyncClient({ redis: redisUrl(), transport: 'memory' }));
    expect(both).toEqual(['redis: give either `redis` or `transport`, not both']);
    const custom = issuesOf(
      () => new SyncClient({ transport: new MemoryTransport(), connectTimeoutMs: 10, logger: {} as never }),
    );
    expect(custom.join('\n')).toMatch(/logger: must have debug\/info\/warn\/error/);
    expect(custom.join('\n')).toMatch(/connectTimeoutMs: applies to `redis` only/);
  });

  it('SyncClient: the in-process bus only when asked for', async () => {
    for (const options of [{ transport: 'memory' as const }, { redis: false as const }]) {
      const sync = new SyncClient(options);
      expect(sync.transport.name).toBe('memory');
      await sync.close();
    }
  });

  it('GuildConfigCache({}) lists every missing piece at construction', () => {
    const issues = issuesOf(() => new GuildConfigCache({} as never));
    expect(issues).toEqual([
      'sync: must be a SyncClient (subscribe/on/off methods)',
      'load: must be a function (guildId => Promise<GuildConfig | null>)',
    ]);
    const sync = new SyncClient({ transport: 'memory' });
    expect(
      issuesOf(
        () => new GuildConfigCache({ sync, load: async () => null, cache: {} as never, l1: { max: 0 } }),
      ),
    ).toEqual(['cache: must be a RedisFallbackManager', 'l1.max: Too small: expected number to be >0']);
  });

  it('RedisFallbackManager and the transports refuse what they cannot use', () => {
    expect(issuesOf(() => new RedisFallbackManager({} as never))).toEqual([
      'redis: is required: give a Redis URL, ioredis options or an ioredis client',
    ]);
    const many = issuesOf(
      () =>
        new RedisFallbackManager({ redis: 42 as never, commandTimeoutMs: -1, ttlJitter: 2, keyPrefix: ' ' }),
    );
    expect(many.map((i) => i.split(':')[0])).toEqual(['redis', 'commandTimeoutMs', 'ttlJitter', 'keyPrefix']);
    expect(issuesOf(() => new RedisTransport({ redis: undefined } as never))[0]).toMatch(
      /^redis: is undefined/,
    );
    expect(issuesOf(() => new MemoryTransport({ bus: {} as never }))).toEqual(['bus: must be a MemoryBus']);
    expect(issuesOf(() => new FailoverTransport([]))).toEqual(['members: needs at least one transport']);
    expect(issuesOf(() => new PgNotifyTransport({ connectionString: undefined } as never))).toEqual([
      'connectionString: is undefined (an unset environment variable?): give a pg.Pool or a connectionString',
    ]);
  });
});

describe('connection failures', () => {
  it('connect() to a closed port rejects with E_REDIS_UNAVAILABLE naming the address, after connectTimeoutMs', async () => {
    const sync = new SyncClient({
      redis: 'redis://127.0.0.1:1',
      keyPrefix: uniquePrefix(),
      connectTimeoutMs: 300,
    });
    const error = await sync.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(RedisUnavailableError);
    const unavailable = error as RedisUnavailableError;
    expect(unavailable.code).toBe('E_REDIS_UNAVAILABLE');
    expect(unavailable.address).toBe('127.0.0.1:1');
    expect(unavailable.message).toMatch(
      /^Redis unavailable at 127\.0\.0\.1:1: not ready after 300 ms: .*ECONNREFUSED/,
    );
    expect((unavailable.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(sync.connected).toBe(false);
    await sync.close();
  });

  it('PgNotifyTransport.connect() to a closed port rejects with E_PG_UNAVAILABLE naming the address', async () => {
    const transport = new PgNotifyTransport({
      connectionString: 'postgres://127.0.0.1:1/test',
      reconnectDelayMs: 60_000,
    });
    const error = await transport.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    await transport.close();
    expect(error).toBeInstanceOf(PgUnavailableError);
    expect((error as PgUnavailableError).code).toBe('E_PG_UNAVAILABLE');
    expect((error as PgUnavailableError).address).toBe('127.0.0.1:1');
    expect((error as Error).message).toMatch(/^Postgres unavailable at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('discord factories validate their arguments', () => {
  it('lists every problem at once', () => {
    expect(issuesOf(() => withCommandEvents({} as never, 'run' as never, { logger: 1 as never }))).toEqual([
      'sync: must be a SyncClient',
      'execute: must be a function (the command to wrap)',
      'logger: must have debug/info/warn/error methods (a pino logger fits)',
    ]);
    const sync = new SyncClient({ transport: 'memory' });
    expect(
      issuesOf(() =>
        watchPermissionRevocations(undefined as never, sync, { onMemberRemove: 'yes' as never }),
      ),
    ).toEqual([
      'client: must be a discord.js Client',
      'onMemberRemove: Invalid input: expected boolean, received string',
    ]);
  });
});

describe('OutboxRelay', () => {
  it('lists every bad option at construction, and close() stops it like stop()', async () => {
    const issues = issuesOf(
      () => new OutboxRelay({ pool: undefined, sync: 42, pollIntervalMs: -1, batchSize: 1.5 } as never),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pool: must be a pg\.Pool/),
        expect.stringMatching(/^sync: must be a SyncClient/),
        expect.stringMatching(/^pollIntervalMs: /),
        expect.stringMatching(/^batchSize: must be an integer/),
      ]),
    );
    const schema = await createTestSchema('relay_close');
    try {
      await migrate(schema.pool);
      const sync = new SyncClient({ transport: 'memory' });
      await sync.connect();
      const relay = new OutboxRelay({ pool: schema.pool, sync, notify: false, pollIntervalMs: 60_000 });
      await relay.start();
      expect(relay.stats().running).toBe(true);
      await relay.close();
      await relay.close(); // idempotent
      expect(relay.stats().running).toBe(false);
      await sync.close();
    } finally {
      await schema.drop();
    }
  });
});
