import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createTestSchema, redisUrl, uniquePrefix } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { ROOT, run, start } from './process.js';

const SECRET = 's'.repeat(40);
const SIGNING_KEY = 'k'.repeat(40);

describe('configuration', () => {
  it('applies the defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.wolaro/pgdata',
      redisUrl: undefined,
      jwtSecretGenerated: true,
      jwtTtlSeconds: 12 * 3600,
      discordApiUrl: 'https://discord.com/api',
      panelOrigin: undefined,
      logLevel: 'info',
      adminUserIds: [],
      bodyLimitBytes: 65_536,
      databasePoolMax: 20,
    });
    expect(Buffer.byteLength(config.jwtSecret)).toBeGreaterThanOrEqual(32);
  });

  it('takes a Redis Cluster or Sentinels instead of REDIS_URL, one of them only', async () => {
    const { redisInputOf } = await import('@wolaro/app-runtime');
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' });
    expect(cluster).toMatchObject({
      redisUrl: undefined,
      redisClusterNodes: ['10.0.0.1:7000', '10.0.0.2:7001'],
    });
    expect(redisInputOf(cluster)).toEqual({
      cluster: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    });
    const sentinel = loadConfig({
      REDIS_SENTINELS: 'sen-1:26379,sen-2:26379',
      REDIS_SENTINEL_NAME: 'wolaro',
    });
    expect(redisInputOf(sentinel)).toEqual({
      sentinels: [
        { host: 'sen-1', port: 26379 },
        { host: 'sen-2', port: 26379 },
      ],
      name: 'wolaro',
    });
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return [...(err as ConfigError).problems];
      }
    };
    expect(problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'c:7000' })).toEqual([
      'REDIS_CLUSTER_NODES: give only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (set: REDIS_URL, REDIS_CLUSTER_NODES)',
    ]);
    expect(problemsOf({ REDIS_SENTINELS: 's:26379' })).toEqual([
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master name the Sentinels monitor)',
    ]);
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'wolaro' })).toEqual([
      'REDIS_SENTINELS: required with REDIS_SENTINEL_NAME (comma-separated host:port of the Sentinels)',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'c:7000,nope,d:99999' })).toEqual([
      'REDIS_CLUSTER_NODES: must be a comma-separated list of host:port, got "nope", "d:99999"',
    ]);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SYNC_SIGNING_KEY: SIGNING_KEY,
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/wolaro',
      REDIS_URL: 'redis://redis:6379',
      JWT_SECRET: SECRET,
      JWT_TTL: '30m',
      DISCORD_TOKEN: 'bot-token',
      DISCORD_CLIENT_ID: '200000000000000001',
      DISCORD_CLIENT_SECRET: 'secret',
      DISCORD_API_URL: 'http://127.0.0.1:9999/api/',
      PANEL_ORIGIN: 'https://wolaro.fr',
      PANEL_WEB_DIR: '../panel-web/dist',
      LOG_LEVEL: 'debug',
      ADMIN_USER_IDS: '1, 2',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      syncSigningKey: { current: SIGNING_KEY, accept: [] },
      port: 8080,
      jwtSecret: SECRET,
      jwtSecretGenerated: false,
      jwtTtlSeconds: 1800,
      discordApiUrl: 'http://127.0.0.1:9999/api',
      panelOrigin: 'https://wolaro.fr',
      adminUserIds: ['1', '2'],
    });
  });

  it('names every bad variable', () => {
    const bad = () =>
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        JWT_SECRET: 'short',
        JWT_TTL: 'forever',
        PANEL_ORIGIN: 'https://wolaro.fr/panel',
        ADMIN_USER_IDS: 'alice',
        LOG_LEVEL: 'loud',
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (err) {
      const vars = (err as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(vars.sort()).toEqual(
        [
          'ADMIN_USER_IDS',
          'DATABASE_URL',
          'JWT_SECRET',
          'JWT_TTL',
          'LOG_LEVEL',
          'PANEL_ORIGIN',
          'PORT',
        ].sort(),
      );
    }
  });

  it('NODE_ENV=production without JWT_SECRET refuses to start (child process)', async () => {
    const result = await run(join(ROOT, 'node_modules/.bin/tsx'), ['examples/panel-api/src/main.ts'], {
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: undefined,
        SYNC_SIGNING_KEY: undefined,
        DATABASE_URL: undefined,
        REDIS_URL: undefined,
        PORT: '0',
      },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('JWT_SECRET: required when NODE_ENV=production');
    expect(result.stderr).toContain('SYNC_SIGNING_KEY: required when NODE_ENV=production');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 90_000);

  it('a port in use gives a clear message, not a stack trace (child process)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const schema = await createTestSchema('panel_port');
    try {
      const result = await run(join(ROOT, 'node_modules/.bin/tsx'), ['examples/panel-api/src/main.ts'], {
        env: {
          NODE_ENV: 'production',
          JWT_SECRET: SECRET,
          SYNC_SIGNING_KEY: SIGNING_KEY,
          PANEL_ORIGIN: 'https://wolaro.example',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: schema.connectionString,
          REDIS_URL: redisUrl(),
          LOG_LEVEL: 'warn',
        },
        // Only ends a hung child: tsx starting the app can take long on a loaded machine.
        timeoutMs: 50_000,
      });
      expect(result.code, `exit code (null: killed after the time-out); stderr:\n${result.stderr}`).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
      await schema.drop();
    }
  }, 60_000);

  it('prints the listening line and shuts down gracefully on SIGTERM (child process)', async () => {
    const schema = await createTestSchema('panel_main');
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    const app = start(tsx, ['examples/panel-api/src/main.ts'], {
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: SECRET,
        SYNC_SIGNING_KEY: SIGNING_KEY,
        PANEL_ORIGIN: 'https://wolaro.example',
        PORT: '0',
        DATABASE_URL: schema.connectionString,
        REDIS_URL: redisUrl(),
        REDIS_KEY_PREFIX: uniquePrefix('main'),
        LOG_LEVEL: 'info',
      },
    });
    try {
      await app.waitForOutput('Panel API listening on http://127.0.0.1:');
      expect(app.output()).toContain('Redis Pub/Sub initialized');
      const url = /Panel API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(app.output())?.[1];
      const health = await fetch(`${url}/api/health`);
      expect(await health.json()).toMatchObject({
        status: 'healthy',
        redis: 'connected',
        database: 'connected',
      });
      app.child.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain('Received SIGTERM, shutting down');
    } finally {
      app.child.kill('SIGKILL');
      await schema.drop();
    }
  }, 90_000);
});
