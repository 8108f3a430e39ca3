import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadLauncherConfig } from '../src/config.js';

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
        PG_LOCK_TIMEOUT_MS: '750',
        COMMAND_EVENTS_PER_SECOND: '5',
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
      nodeEnv: 'development',
      syncSigningKey: undefined,
      pgTimeouts: { statementTimeoutMs: 5000, lockTimeoutMs: 750, connectTimeoutMs: 5000 },
      commandEventsPerSecond: 5,
      commandReplyWaitMs: 2000,
      databasePoolMax: 20,
      redisClusterNodes: undefined,
      redisSentinels: undefined,
      redisSentinelName: undefined,
    });
    expect(loadConfig({})).toMatchObject({
      pgTimeouts: { statementTimeoutMs: 5000, lockTimeoutMs: 2000, connectTimeoutMs: 5000 },
      commandEventsPerSecond: 20,
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
        PG_LOCK_TIMEOUT_MS: 'soon',
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
        'PG_LOCK_TIMEOUT_MS: must be an integer between 0 and 3600000, got "soon"',
        'DISCORD_TOKEN: required (the bot token)',
      ]),
    );
    expect(found).toHaveLength(8);
  });

  it('signs the bus with SYNC_SIGNING_KEY, which production requires', () => {
    const key = 'k'.repeat(40);
    const old = 'o'.repeat(40);
    expect(
      loadConfig({ SYNC_SIGNING_KEY: key, SYNC_SIGNING_KEYS_ACCEPTED: ` ${old} ,` }).syncSigningKey,
    ).toEqual({ current: key, accept: [old] });
    expect(loadConfig({}).syncSigningKey).toBeUndefined();
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^SYNC_SIGNING_KEY: required when NODE_ENV=production/),
    ]);
    expect(problems({ NODE_ENV: 'production', SYNC_SIGNING_KEY: key })).toEqual([]);
    expect(problems({ SYNC_SIGNING_KEY: 'short', SYNC_SIGNING_KEYS_ACCEPTED: 'also-short' })).toEqual([
      expect.stringMatching(/^SYNC_SIGNING_KEY: must be at least 32 characters/),
      expect.stringMatching(/^SYNC_SIGNING_KEYS_ACCEPTED: must be comma-separated keys of at least 32/),
    ]);
    expect(problems({ SYNC_SIGNING_KEYS_ACCEPTED: old })).toEqual([
      'SYNC_SIGNING_KEYS_ACCEPTED: needs SYNC_SIGNING_KEY (the key this process signs with)',
    ]);
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

describe('loadLauncherConfig', () => {
  const launcherProblems = (env: NodeJS.ProcessEnv): readonly string[] => {
    try {
      loadLauncherConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('reads BOT_SHARDS (auto by default) and the spawn delay', () => {
    expect(loadLauncherConfig({ DISCORD_TOKEN: 't' })).toEqual({
      shards: 'auto',
      spawnDelayMs: 5500,
      discordToken: 't',
      discordApiUrl: undefined,
      logLevel: 'info',
    });
    expect(
      loadLauncherConfig({
        DISCORD_TOKEN: 't',
        BOT_SHARDS: ' 4 ',
        BOT_SHARD_SPAWN_DELAY_MS: '0',
        DISCORD_API_URL: 'http://127.0.0.1:4000/api',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      shards: 4,
      spawnDelayMs: 0,
      discordToken: 't',
      discordApiUrl: 'http://127.0.0.1:4000/api',
      logLevel: 'debug',
    });
    expect(loadLauncherConfig({ DISCORD_TOKEN: 't', BOT_SHARDS: 'auto' }).shards).toBe('auto');
  });

  it('lists every problem: a bad BOT_SHARDS, a SHARD_ID of its own, a missing token', () => {
    expect(launcherProblems({ BOT_SHARDS: '0', SHARD_ID: '1' })).toEqual([
      'BOT_SHARDS: must be auto or an integer between 1 and 65536, got "0"',
      'SHARD_ID: not with the sharded launcher, which gives each process its shard (unset it)',
      'DISCORD_TOKEN: required (the bot token)',
    ]);
    expect(launcherProblems({ DISCORD_TOKEN: 't', BOT_SHARDS: 'two' })).toEqual([
      'BOT_SHARDS: must be auto or an integer between 1 and 65536, got "two"',
    ]);
    expect(launcherProblems({ DISCORD_TOKEN: 't', BOT_SHARD_SPAWN_DELAY_MS: '-1' })).toEqual([
      'BOT_SHARD_SPAWN_DELAY_MS: must be an integer between 0 and 600000, got "-1"',
    ]);
  });
});
