import {
  type EventPublisher,
  loadGuildConfig,
  runMigrations,
  updateGuildModule,
  updateGuildSettings,
  upsertGuild,
} from '@wolaro/db';
import {
  cacheKeys,
  MemoryBus,
  MemoryTransport,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
} from '@wolaro/sync';
import {
  captureLogger,
  createTestSchema,
  redisUrl,
  type TestSchema,
  uniquePrefix,
} from '@wolaro/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// A settings write stores the guild's new config in the bots' L2 after COMMIT and before its event,
// on a real Postgres and a real Redis: what it stores must be exactly what a bot's load returns,
// or a bot would serve something the database never held.

const GUILD = '720000000000000011';
const USER = '730000000000000011';

let schema: TestSchema;
let cache: RedisFallbackManager;
let sync: SyncClient;
let subscriber: SyncClient;
let cachedWhenAnnounced: unknown[];

beforeEach(async () => {
  schema = await createTestSchema('config_write_through');
  await runMigrations(schema.pool);
  await upsertGuild(schema.pool, { guildId: GUILD, name: 'Alpha', ownerId: USER });
  cache = new RedisFallbackManager({ redis: redisUrl(), keyPrefix: uniquePrefix('cwt') });
  await cache.ready();
  const bus = new MemoryBus();
  sync = new SyncClient({ transport: new MemoryTransport({ bus }) });
  subscriber = new SyncClient({ transport: new MemoryTransport({ bus }) });
  await Promise.all([sync.connect(), subscriber.connect()]);
  cachedWhenAnnounced = [];
  subscriber.subscribe('config:update', async (event) => {
    cachedWhenAnnounced.push((await cache.getJSONEntry(cacheKeys.guildConfig(event.guildId)))?.version);
  });
});

afterEach(async () => {
  await Promise.all([sync.close(), subscriber.close(), cache.close()]);
  await schema.drop();
});

const entryOf = async () => cache.getJSONEntry(cacheKeys.guildConfig(GUILD));

describe('updateGuildSettings with configCache', () => {
  it('stores exactly what loadGuildConfig returns, at the new version, before the event goes out', async () => {
    const publisher: EventPublisher = { sync, configCache: cache };
    await updateGuildModule(schema.pool, publisher, {
      guildId: GUILD,
      module: 'welcome',
      enabled: true,
      config: { channelId: '740000000000000001', message: 'hi' },
      changedBy: USER,
    });
    const result = await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?', custom: { nested: [1, 'two'] } },
      changedBy: USER,
    });
    const loaded = await loadGuildConfig(schema.pool, GUILD);
    const entry = await entryOf();
    expect(entry?.version).toBe(result.version);
    expect(entry?.value).toEqual(loaded);
    expect(loaded?.modules['welcome']).toEqual({
      enabled: true,
      config: { channelId: '740000000000000001', message: 'hi' },
    });
    await expect.poll(() => cachedWhenAnnounced).toEqual([result.version]);
  });

  it('a stored newer version stays: the write at an older version does not replace it', async () => {
    const publisher: EventPublisher = { sync, configCache: cache };
    await cache.setJSON(
      cacheKeys.guildConfig(GUILD),
      { settings: {}, modules: {}, version: 50 },
      { version: 50 },
    );
    await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?' },
      changedBy: USER,
    });
    expect((await entryOf())?.version).toBe(50);
  });

  it('without configCache nothing is stored', async () => {
    await updateGuildSettings(
      schema.pool,
      { sync },
      { guildId: GUILD, patch: { prefix: '?' }, changedBy: USER },
    );
    expect(await entryOf()).toBeNull();
  });

  it('a cache write that throws is logged; the write is committed and announced all the same', async () => {
    const logger = captureLogger();
    const publisher: EventPublisher = {
      sync,
      logger,
      configCache: {
        setJSON: () => Promise.reject(new Error('cache exploded')),
      },
    };
    const result = await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?' },
      changedBy: USER,
    });
    expect(result).toMatchObject({ version: 2, published: true });
    await expect.poll(() => cachedWhenAnnounced).toEqual([undefined]);
    const warning = logger.entries.find((e) => e.level === 'warn');
    expect(warning?.msg).toBe(`Guild config ${GUILD} not stored in the cache after its write`);
    expect((warning?.obj?.['err'] as Error | undefined)?.message).toBe('cache exploded');
  });

  it('a cache write that throws at once (not JSON) is logged too; the write is announced', async () => {
    const logger = captureLogger();
    const publisher: EventPublisher = {
      sync,
      logger,
      configCacheOnBus: true,
      configCache: {
        setJSON: () => {
          throw new TypeError('not JSON');
        },
      },
    };
    const result = await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?' },
      changedBy: USER,
    });
    expect(result).toMatchObject({ version: 2, published: true });
    await expect.poll(() => logger.entries.filter((e) => e.level === 'warn').length).toBe(1);
    const warning = logger.entries.find((e) => e.level === 'warn');
    expect((warning?.obj?.['err'] as Error | undefined)?.message).toBe('not JSON');
  });
});

describe('updateGuildSettings with configCacheOnBus', () => {
  it('sends the store, then publishes without waiting for its answer', async () => {
    const order: string[] = [];
    subscriber.subscribe('config:update', (event) => {
      order.push(`event ${event.version}`);
    });
    const publisher: EventPublisher = {
      sync,
      configCacheOnBus: true,
      // Sent, never answered: the write must not wait for it.
      configCache: {
        setJSON: (_key, _value, ttl) => {
          order.push(`store ${typeof ttl === 'object' ? ttl.version : ttl}`);
          return new Promise<boolean>(() => {});
        },
      },
    };
    const result = await updateGuildSettings(schema.pool, publisher, {
      guildId: GUILD,
      patch: { prefix: '?' },
      changedBy: USER,
    });
    expect(result).toMatchObject({ version: 2, published: true });
    await expect.poll(() => order).toEqual(['store 2', 'event 2']);
  });

  it('on the transport’s publishing connection, every bot hearing of a version finds it stored', async () => {
    const keyPrefix = uniquePrefix('cwt-bus');
    const transport = new RedisTransport({ redis: redisUrl() });
    const bus = new SyncClient({ transport, keyPrefix });
    const onBus = new RedisFallbackManager({ redis: transport.client, keyPrefix });
    const bot = new SyncClient({ redis: redisUrl(), keyPrefix });
    const botCache = new RedisFallbackManager({ redis: redisUrl(), keyPrefix });
    const found: unknown[] = [];
    bot.subscribe('config:update', async (event) => {
      found.push((await botCache.getJSONEntry(cacheKeys.guildConfig(event.guildId)))?.version);
    });
    await Promise.all([bus.connect(), bot.connect(), onBus.ready(), botCache.ready()]);
    try {
      const publisher: EventPublisher = { sync: bus, configCache: onBus, configCacheOnBus: true };
      const versions: number[] = [];
      for (let i = 0; i < 10; i++) {
        const { version } = await updateGuildSettings(schema.pool, publisher, {
          guildId: GUILD,
          patch: { prefix: `p${i}` },
          changedBy: USER,
        });
        versions.push(version);
      }
      await expect.poll(() => found).toEqual(versions);
    } finally {
      await Promise.all([onBus.close(), botCache.close(), bot.close()]);
      await bus.close();
    }
  });
});
