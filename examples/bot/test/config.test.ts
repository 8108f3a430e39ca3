import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problems(env: NodeJS.ProcessEnv, standalone = false): readonly string[] {
  try {
    loadConfig(env, { standalone });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads every variable, with defaults for the optional ones', () => {
    expect(
      loadConfig({
        DISCORD_TOKEN: ' token ',
        DISCORD_API_URL: 'http://127.0.0.1:3001/api',
        DATABASE_URL: 'postgres://u@db/wolaro',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: 'prod:',
        PG_NOTIFY: 'false',
        LOG_LEVEL: 'debug',
        SHARD_ID: '1',
        SHARD_COUNT: '4',
      }),
    ).toEqual({
      discordToken: 'token',
      discordApiUrl: 'http://127.0.0.1:3001/api',
      databaseUrl: 'postgres://u@db/wolaro',
      dataDir: '.wolaro/pgdata',
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'prod:',
      pgNotify: false,
      logLevel: 'debug',
      shardId: 1,
      shardCount: 4,
      redisHealthCheckMs: 10_000,
      redisConnectTimeoutMs: 10_000,
    });
    expect(loadConfig({})).toMatchObject({
      discordToken: undefined,
      redisUrl: undefined,
      redisKeyPrefix: '',
      pgNotify: true,
      logLevel: 'info',
      shardId: undefined,
    });
  });

  it('reports every bad variable at once, one line each', () => {
    const found = problems(
      {
        DISCORD_API_URL: 'ftp://x',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'http://x',
        LOG_LEVEL: 'loud',
        SHARD_ID: '-1',
        PG_NOTIFY: 'maybe',
      },
      true,
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'DISCORD_API_URL: must be an http(s) URL, e.g. http://127.0.0.1:3001/api',
        'DATABASE_URL: must be a postgres:// or postgresql:// connection string',
        'REDIS_URL: must be a redis:// or rediss:// URL',
        expect.stringMatching(/^LOG_LEVEL: must be one of/),
        'SHARD_ID: must be an integer between 0 and 65535, got "-1"',
        'PG_NOTIFY: must be true or false, got "maybe"',
        'DISCORD_TOKEN: required (the bot token)',
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it('requires DISCORD_TOKEN and REDIS_URL in its own process only, and a consistent shard pair', () => {
    expect(problems({}, false)).toEqual([]);
    expect(problems({}, true)).toEqual([
      'DISCORD_TOKEN: required (the bot token)',
      expect.stringMatching(/^REDIS_URL: required when the bot runs in its own process/),
    ]);
    expect(problems({ SHARD_ID: '0' })).toEqual(['SHARD_COUNT: required when SHARD_ID is set']);
    expect(problems({ SHARD_ID: '2', SHARD_COUNT: '2' })).toEqual([
      'SHARD_ID: must be below SHARD_COUNT (2), got 2',
    ]);
  });
});
