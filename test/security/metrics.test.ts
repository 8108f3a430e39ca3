/**
 * `/metrics` of the panel API is not public: with `METRICS_TOKEN` it needs the bearer token, and a
 * production API without a token does not serve it at all.
 */
import { captureLogger } from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../examples/panel-api/src/config.js';
import { bearerMatches } from '../../examples/panel-api/src/routes/metrics.js';
import { startPanelApi } from '../../examples/panel-api/src/server.js';
import { startWorld, type TestWorld } from '../../examples/panel-api/test/helpers.js';

const TOKEN = 'metrics-token-0123456789abcdef';

describe('/metrics', () => {
  let w: TestWorld;

  beforeAll(async () => {
    w = await startWorld({ label: 'sec_metrics', config: { metricsToken: TOKEN } });
  });
  afterAll(() => w?.close());

  it('with METRICS_TOKEN: 401 without a token or with a wrong one, 200 with the bearer token', async () => {
    const missing = await fetch(`${w.api.url}/metrics`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized' } });
    for (const header of [
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      TOKEN,
      'Bearer ',
    ]) {
      const res = await fetch(`${w.api.url}/metrics`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
      expect(await res.text()).not.toContain('# TYPE');
    }
    const ok = await fetch(`${w.api.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/# TYPE http_request_duration_seconds histogram/);
  });

  it('NODE_ENV=production without METRICS_TOKEN: /metrics is not served (404), and the log says why', async () => {
    const logger = captureLogger();
    const api = await startPanelApi(
      {
        ...w.api.config,
        port: 0,
        nodeEnv: 'production',
        syncSigningKey: { current: 'metrics-tests-signing-key-0123456789abcdef' },
        panelOrigin: 'https://panel.example',
        metricsToken: undefined,
      },
      { logger },
    );
    try {
      const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('# TYPE');
      expect(logger.has('/metrics is off: set METRICS_TOKEN', 'warn')).toBe(true);
      expect((await fetch(`${api.url}/api/health`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('METRICS_TOKEN is read from the environment and must be long enough', () => {
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(
      /METRICS_TOKEN: must be at least 16 characters/,
    );
  });

  it('bearerMatches: exact token only, whatever the case of "Bearer"', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer', TOKEN)).toBe(false);
  });
});
