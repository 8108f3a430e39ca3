import { redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import {
  createGuildConfigSync,
  type GuildConfig,
  InvalidOptionsError,
  RedisUnavailableError,
} from '../../src/index.js';

describe('createGuildConfigSync', () => {
  it('wires bus, L2 and cache on one Redis and one keyPrefix; a bot sees the panel change', async () => {
    const db = new Map<string, GuildConfig>([
      ['123', { settings: { prefix: '!' }, modules: {}, version: 1 }],
    ]);
    const load = async (id: string) => db.get(id) ?? null;
    const keyPrefix = uniquePrefix('gcs');
    const bot = await createGuildConfigSync({ redis: redisUrl(), keyPrefix, load });
    const panel = await createGuildConfigSync({ redis: redisUrl(), keyPrefix, load });
    try {
      expect((await bot.configs.get('123'))?.settings).toEqual({ prefix: '!' });
      expect(bot.sync.keyPrefix).toBe(keyPrefix);
      expect(bot.cache?.keyPrefix).toBe(keyPrefix);
      const updated: string[] = [];
      bot.configs.on('updated', (guildId, cfg) => void updated.push(`${guildId}@${cfg.version}`));
      db.set('123', { settings: { prefix: '?' }, modules: {}, version: 2 });
      await panel.sync.publishConfigUpdate({ guildId: '123', settings: { prefix: '?' }, version: 2 });
      await waitFor(() => updated.length === 1);
      expect(updated).toEqual(['123@2']);
      expect(bot.configs.peek('123')?.settings).toEqual({ prefix: '?' });
    } finally {
      await Promise.all([bot.close(), panel.close()]);
    }
    await bot.close(); // idempotent
    expect(bot.sync.connected).toBe(false);
  });

  it('redis: false is the in-process bus with no L2', async () => {
    const guilds = await createGuildConfigSync({ redis: false, load: async () => null });
    expect(guilds.cache).toBeUndefined();
    expect(guilds.sync.transport.name).toBe('memory');
    expect(await guilds.configs.get('1')).toBeNull();
    await guilds.close();
  });

  it('validates up front and rejects with E_REDIS_UNAVAILABLE when Redis is not there', async () => {
    await expect(createGuildConfigSync({ redis: undefined } as never)).rejects.toThrow(InvalidOptionsError);
    await expect(createGuildConfigSync({} as never)).rejects.toThrow(
      /load: must be a function.*; redis: is required.*or `false` for the in-process bus$/,
    );
    const error = await createGuildConfigSync({
      redis: 'redis://127.0.0.1:1',
      load: async () => null,
      connectTimeoutMs: 200,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as RedisUnavailableError).address).toBe('127.0.0.1:1');
  });
});
