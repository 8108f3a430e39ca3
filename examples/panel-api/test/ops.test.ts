import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestSchema, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPanelApi } from '../src/server.js';
import { DEMO, nextEvent, startWorld, type TestWorld } from './helpers.js';
import { run } from './process.js';

describe('operations', () => {
  let w: TestWorld;
  let owner: string;

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_ops' });
    owner = (await w.tokenFor(DEMO.users.owner)).token;
  });
  afterAll(() => w?.close());

  it('GET /api/health has the note shape', async () => {
    const socket = await w.connect(owner);
    const res = await w.request('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'healthy',
      redis: 'connected',
      database: 'connected',
      websocket: 'active',
      connectedUsers: 1,
    });
    socket.disconnect();
  });

  it('GET /api/health answers 503 when the database pool is gone', async () => {
    const schema = await createTestSchema('panel_health');
    const pool = new pg.Pool({ connectionString: schema.connectionString, max: 2 });
    pool.on('error', () => {});
    const db = { pool, kind: 'postgres' as const, close: async () => {} };
    const api = await startPanelApi(
      { ...w.api.config, port: 0, databaseUrl: schema.connectionString },
      { db, logger: w.logger },
    );
    try {
      expect((await fetch(`${api.url}/api/health`)).status).toBe(200);
      await api.relay.stop();
      await pool.end();
      const res = await fetch(`${api.url}/api/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: 'degraded',
        database: 'disconnected',
        websocket: 'active',
      });
      // Routes that need the database answer 503 too, in the JSON error shape.
      const panel = await fetch(`${api.url}/api/panel/guilds`, {
        headers: { authorization: `Bearer ${owner}` },
      });
      expect(panel.status).toBe(503);
      expect(await panel.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    } finally {
      await api.close();
      await schema.drop();
    }
  });

  it('GET /metrics is Prometheus text with the API metrics', async () => {
    await w.request('GET', '/api/health');
    const socket = await w.connect(owner);
    const pushed = nextEvent(socket, 'config:updated');
    await w.request('PATCH', `/api/panel/guilds/${DEMO.guildId}`, {
      token: owner,
      body: { settings: { prefix: '>' } },
    });
    await pushed;
    const res = await fetch(`${w.api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE http_request_duration_seconds histogram/);
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/health",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="PATCH",route="\/api\/panel\/guilds\/:id",status="200"\} 1/,
    );
    expect(text).toMatch(/wolaro_sync_delivery_lag_seconds_count\{channel="config:update"\} [1-9]/);
    expect(text).toMatch(/# TYPE wolaro_cache_hits_total counter/);
    expect(text).toMatch(/# TYPE wolaro_cache_misses_total counter/);
    expect(text).toMatch(/wolaro_redis_up 1/);
    expect(text).toMatch(/# TYPE wolaro_outbox_pending gauge/);
    // The PATCH's outbox row counts as pending until its mark (up to the mark delay after the answer).
    await waitFor(
      async () => /wolaro_outbox_pending 0/.test(await (await fetch(`${w.api.url}/metrics`)).text()),
      {
        message: 'wolaro_outbox_pending 0',
      },
    );
    expect(text).toMatch(/wolaro_websocket_connections 1/);
    expect(text).toMatch(/wolaro_websocket_guild_events_total\{result="sent"\} [1-9]/);
    expect(text).toMatch(/wolaro_websocket_guild_events_total\{result="unwatched"\} \d+/);
    socket.disconnect();
  });

  it('admin stats have the note shapes and are admin-only', async () => {
    const ws = await w.request('GET', '/api/admin/websocket/stats', { token: owner });
    expect(ws.status).toBe(200);
    expect(ws.body).toEqual({
      connectedUsers: expect.any(Number),
      totalConnections: expect.any(Number),
      rooms: expect.any(Number),
    });
    const cache = await w.request('GET', '/api/admin/cache/stats', { token: owner });
    expect(cache.status).toBe(200);
    expect(cache.body).toEqual({
      redisAvailable: true,
      memoryCacheSize: 0,
      cacheHitRate: expect.any(Number),
      hits: expect.any(Number),
      misses: expect.any(Number),
    });
    const admin = (await w.tokenFor(DEMO.users.admin)).token;
    expect((await w.request('GET', '/api/admin/websocket/stats', { token: admin })).status).toBe(403);
    expect((await w.request('GET', '/api/admin/cache/stats', { token: admin })).status).toBe(403);
    expect((await w.request('GET', '/api/admin/cache/stats')).status).toBe(401);
  });

  it('`npm run token` prints a JWT that authenticates a socket, which joins the guild room', async () => {
    const result = await run(
      'npm',
      ['run', '--silent', 'token', '-w', 'examples/panel-api', '--', DEMO.users.admin, '--ttl', '1h'],
      {
        env: {
          DATABASE_URL: w.schema.connectionString,
          JWT_SECRET: w.jwtSecret,
          NODE_ENV: 'development',
          REDIS_URL: undefined,
        },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(3600);
    const socket = await w.connect(token);
    const pushed = nextEvent(socket, 'config:updated');
    await w.request('PATCH', `/api/panel/guilds/${DEMO.guildId}`, {
      token: owner,
      body: { settings: { prefix: '!' } },
    });
    expect(await pushed).toMatchObject({ guildId: DEMO.guildId, settings: { prefix: '!' } });
    await waitFor(() => w.api.gateway.stats().rooms >= 1);
    socket.disconnect();

    const bad = await run(
      'npm',
      ['run', '--silent', 'token', '-w', 'examples/panel-api', '--', 'not-an-id'],
      {
        env: { DATABASE_URL: w.schema.connectionString, JWT_SECRET: w.jwtSecret },
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Usage: npm run token');
  }, 90_000); // `npm run` + tsx start-up: slow on a loaded machine

  it('serves PANEL_WEB_DIR at /panel with an SPA fallback; CORS and the OAuth2 redirect follow PANEL_ORIGIN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wolaro-panel-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Wolaro panel</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const panelOrigin = 'https://panel.example';
    const api = await startPanelApi(
      { ...w.api.config, port: 0, panelWebDir: dir, panelOrigin },
      { logger: w.logger },
    );
    try {
      for (const path of ['/panel/', '/panel/guilds/123456789012345678']) {
        const res = await fetch(`${api.url}${path}`);
        expect(res.status, path).toBe(200);
        expect(await res.text()).toContain('Wolaro panel');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      }
      expect(await (await fetch(`${api.url}/panel/app.js`)).text()).toBe('console.log(1)');
      const root = await fetch(`${api.url}/`, { redirect: 'manual' });
      expect(root.headers.get('location')).toBe('/panel/');

      const allowed = await fetch(`${api.url}/api/health`, { headers: { origin: panelOrigin } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(panelOrigin);
      const other = await fetch(`${api.url}/api/health`, { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();

      const login = await fetch(`${api.url}/api/auth/discord`, { redirect: 'manual' });
      const authorize = new URL(login.headers.get('location') ?? '');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${panelOrigin}/api/auth/discord/callback`);
      expect(login.headers.get('set-cookie')).toContain('Secure');
      const missing = await fetch(`${api.url}/api/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
