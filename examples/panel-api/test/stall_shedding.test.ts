import { databaseUrl, startTcpProxy, type TcpProxy, waitFor } from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// A database that stops answering (a hung server, a link that drops packets without a reset) must
// not make callers wait out every timeout while new requests pile up behind them: once nothing has
// finished for DATABASE_STALL_MS and a probe gets no answer, the API answers 503 at once, both the
// requests already waiting and the new ones, until the database answers again.
describe('panel API: load shedding while the database hangs', () => {
  let proxy: TcpProxy;
  let w: TestWorld;
  let token: string;
  const guild = DEMO.guildId;
  const stalledLog = 'Database not answering';

  beforeAll(async () => {
    proxy = await startTcpProxy({ targetPort: Number(new URL(databaseUrl()).port || 5432) });
    w = await startWorld({
      label: 'panel_stall',
      apiDatabaseUrl: (url) => proxy.url(url),
      config: {
        databasePoolMax: 4,
        databaseStallMs: 300,
        // Every other limit far away: without the shedding, these requests would wait 20 s or more
        // and then answer request_timeout or database_busy, not database_unavailable.
        requestTimeoutMs: 60_000,
        pgTimeouts: { statementTimeoutMs: 20_000, lockTimeoutMs: 20_000, connectTimeoutMs: 20_000 },
        writeRateLimit: { windowMs: 60_000, perUser: 10_000, perGuild: 10_000 },
      },
    });
    token = (await w.tokenFor(DEMO.users.admin)).token;
  });
  afterAll(async () => {
    await w?.close();
    await proxy?.close();
  });

  const patch = (prefix: string) =>
    w.request('PATCH', `/api/panel/guilds/${guild}`, { token, body: { settings: { prefix } } });

  it('answers the waiting requests and the new ones 503 database_unavailable while the link hangs; serves again after', async () => {
    const before = await w.request('GET', `/api/panel/guilds/${guild}`, { token });
    expect(before.status).toBe(200);
    const stalledBefore = w.logger.count((e) => e.msg.startsWith(stalledLog), 'warn');

    proxy.setMode('blackhole');
    // More writes than the pool has connections: four hang on the link, the rest wait for one.
    const waiting = await Promise.all(Array.from({ length: 6 }, (_, i) => patch(`#${i}`)));
    for (const res of waiting) {
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: { code: 'database_unavailable', message: 'The database is unavailable' },
      });
      expect(res.headers.get('retry-after')).toBe('1');
    }
    expect(w.logger.count((e) => e.msg.startsWith(stalledLog), 'warn')).toBe(stalledBefore + 1);

    // A request arriving now is shed without waiting; health, on its own connection, reports it.
    const shed = await w.request('GET', `/api/panel/guilds/${guild}`, { token });
    expect(shed.status).toBe(503);
    expect(shed.body.error.code).toBe('database_unavailable');
    const health = await w.request('GET', '/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', database: 'disconnected' });

    proxy.setMode('pass');
    proxy.resetAll();
    await waitFor(
      async () => (await w.request('GET', `/api/panel/guilds/${guild}`, { token })).status === 200,
      {
        message: 'the API serves again once the database answers',
      },
    );
    expect(w.logger.count((e) => e.msg.startsWith('Database answering again'), 'info')).toBeGreaterThan(0);
    const after = await patch('!');
    expect(after.status).toBe(200);
    expect(after.body.settings.prefix).toBe('!');
  });
});
