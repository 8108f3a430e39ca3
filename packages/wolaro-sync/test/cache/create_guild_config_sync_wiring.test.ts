import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { cacheKeys, createGuildConfigSync, type GuildConfig, InvalidOptionsError } from '../../src/index.js';
import { defer, rawRedis, useCleanup } from './helpers.js';

// What createGuildConfigSync passes on to the three pieces it wires.

useCleanup();

const G = '111111111111111111';
const H = '222222222222222222';

function config(version: number): GuildConfig {
  return { settings: { prefix: `p${version}` }, modules: {}, version };
}

describe('createGuildConfigSync wiring', () => {
  it('refuses a redis that is neither a Redis input nor false, naming the function', async () => {
    const error = await createGuildConfigSync({ redis: 42, load: async () => null } as never).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toMatch(/^createGuildConfigSync.*redis: /);
  });

  it('names the function when redis is missing', async () => {
    await expect(createGuildConfigSync({ load: async () => null } as never)).rejects.toThrow(
      /^createGuildConfigSync.*redis: is required/,
    );
  });

  it('with a logger, keyPrefix, l1, loadVersions: the L2 key is prefixed, L1 bounded, resync uses loadVersions and logs', async () => {
    const keyPrefix = uniquePrefix('c3gcs');
    const rows = new Map([
      [G, config(1)],
      [H, config(1)],
    ]);
    const versionQueries: string[][] = [];
    let failVersions = false;
    const logger = captureLogger();
    const guilds = await createGuildConfigSync({
      redis: redisUrl(),
      keyPrefix,
      logger,
      l1: { max: 1 },
      load: async (id) => rows.get(id) ?? null,
      loadVersions: async (ids) => {
        versionQueries.push([...ids]);
        if (failVersions) throw new Error('versions down');
        return new Map(ids.map((id) => [id, rows.get(id)!.version]));
      },
    });
    defer(() => guilds.close());
    expect(guilds.cache).toBeDefined();
    await guilds.configs.get(G);
    const raw = rawRedis();
    await waitFor(async () => (await raw.exists(keyPrefix + cacheKeys.guildConfig(G))) === 1);
    await guilds.configs.get(H);
    expect(guilds.configs.stats().size).toBe(1);
    await guilds.configs.resync();
    expect(versionQueries).toEqual([[H]]);
    failVersions = true;
    await guilds.configs.resync().catch(() => {});
    expect(logger.has('Guild config resync failed, retrying', 'warn')).toBe(true);
  });

  it('the logger reaches the L2 manager too: its warning about a corrupted L2 value is logged', async () => {
    const keyPrefix = uniquePrefix('c3gcs');
    const logger = captureLogger();
    const raw = rawRedis();
    const full = keyPrefix + cacheKeys.guildConfig(G);
    await raw.set(full, 'not json', 'PX', 60_000);
    const guilds = await createGuildConfigSync({
      redis: redisUrl(),
      keyPrefix,
      logger,
      load: async () => config(3),
    });
    defer(() => guilds.close());
    expect((await guilds.configs.get(G))?.version).toBe(3);
    expect(logger.count(`Corrupted cache value for ${full} (not JSON), deleting it`, 'warn')).toBe(1);
  });

  it('close() hands every caller the same promise and closes the bus and the L2', async () => {
    const guilds = await createGuildConfigSync({
      redis: redisUrl(),
      keyPrefix: uniquePrefix('c3gcs'),
      load: async () => null,
    });
    const first = guilds.close();
    expect(guilds.close()).toBe(first);
    await first;
    expect(guilds.sync.connected).toBe(false);
    await expect(guilds.cache!.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' });
  });

  it('redis: false ignores connectTimeoutMs (it applies to Redis only)', async () => {
    const guilds = await createGuildConfigSync({
      redis: false,
      connectTimeoutMs: 500,
      load: async () => null,
    });
    defer(() => guilds.close());
    expect(guilds.sync.transport.name).toBe('memory');
  });

  it('connectTimeoutMs bounds the wait for Redis', async () => {
    const error = await createGuildConfigSync({
      redis: 'redis://127.0.0.1:1',
      load: async () => null,
      connectTimeoutMs: 300,
    }).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(/not ready after 300 ms/);
  });
});
