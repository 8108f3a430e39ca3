import { type RedisServerHandle, startRedisServer, waitFor } from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, nextEvent, startWorld, type TestWorld } from './helpers.js';

describe('Redis down (REDIS_URL + DATABASE_URL → FailoverTransport)', () => {
  let redis: RedisServerHandle;
  let w: TestWorld;

  beforeAll(async () => {
    redis = await startRedisServer();
    w = await startWorld({ label: 'panel_failover', config: { redisUrl: redis.url } });
  });
  afterAll(async () => {
    await w?.close();
    await redis?.stop();
  });

  it('keeps pushing config changes through Postgres and reports a degraded health', async () => {
    const { token } = await w.tokenFor(DEMO.users.admin);
    expect(w.api.sync.stats().transport).toBe('failover(redis,pg)');
    expect(w.logger.has('Redis Pub/Sub initialized', 'info')).toBe(true);
    const socket = await w.connect(token);

    await redis.kill();
    await waitFor(async () => (await w.request('GET', '/api/health')).body.redis === 'disconnected');
    const health = await w.request('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded', redis: 'disconnected', database: 'connected' });

    const pushed = nextEvent(socket, 'config:updated');
    const res = await w.request('PATCH', `/api/panel/guilds/${DEMO.guildId}`, {
      token,
      body: { settings: { prefix: '§' } },
    });
    expect(res.status).toBe(200);
    expect(await pushed).toMatchObject({
      guildId: DEMO.guildId,
      settings: { prefix: '§' },
      version: res.body.version,
    });
    const metrics = await (await fetch(`${w.api.url}/metrics`)).text();
    expect(metrics).toMatch(/wolaro_redis_up 0/);
  });
});
