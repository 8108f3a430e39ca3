import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import { describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// Every route of /api/panel answers at its own path with its own answer: a route registered at the
// wrong path, or a write route missing, fails here (the behaviour of each route is in guilds.test.ts).
// Each test starts its own API, so the routes are registered inside the test that checks them.

const guild = DEMO.guildId;

/** Runs `body` against a fresh panel API, with an administrator's token. */
async function withWorld(body: (w: TestWorld, adminToken: string) => Promise<void>): Promise<void> {
  const w = await startWorld({ label: 'panel_routes' });
  try {
    await body(w, (await w.tokenFor(DEMO.users.admin)).token);
  } finally {
    await w.close();
  }
}

describe('panel routes', () => {
  it('each route answers at its path', () =>
    withWorld(async (w, adminToken) => {
      const call = (method: string, path: string, body?: unknown) =>
        w.request(method, `/api/panel${path}`, { token: adminToken, body });

      const list = await call('GET', '/guilds');
      expect(list.status).toBe(200);
      expect(list.body.guilds.map((g: { guildId: string }) => g.guildId)).toContain(guild);

      const detail = await call('GET', `/guilds/${guild}`);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ guildId: guild, name: 'Wolaro Demo' });
      const version: number = detail.body.version;

      const settings = await call('PATCH', `/guilds/${guild}`, { settings: { prefix: '%' }, version });
      expect(settings.status).toBe(200);
      expect(settings.body).toMatchObject({
        guildId: guild,
        version: version + 1,
        settings: { prefix: '%' },
      });

      const mod = await call('PATCH', `/guilds/${guild}/modules/welcome`, {
        enabled: true,
        version: version + 1,
      });
      expect(mod.status).toBe(200);
      expect(mod.body).toMatchObject({
        guildId: guild,
        module: 'welcome',
        enabled: true,
        version: version + 2,
      });

      const revisions = await call('GET', `/guilds/${guild}/revisions?limit=2`);
      expect(revisions.status).toBe(200);
      expect(revisions.body.revisions.map((r: { version: number }) => r.version)).toEqual([
        version + 2,
        version + 1,
      ]);

      const restore = await call('POST', `/guilds/${guild}/revisions/${version}/restore`, {
        version: version + 2,
      });
      expect(restore.status).toBe(200);
      expect(restore.body).toMatchObject({ guildId: guild, restored: version, version: version + 3 });

      const sync = await call('POST', `/guilds/${guild}/sync`, { reason: 'route check' });
      expect(sync.status).toBe(202);
      expect(sync.body).toEqual({ ok: true, published: expect.any(Boolean) });

      const logs = await call('GET', `/guilds/${guild}/logs`);
      expect(logs.status).toBe(200);
      expect(Array.isArray(logs.body.logs)).toBe(true);
    }));

  it('a sync without a reason says who asked for it', () =>
    withWorld(async (w, adminToken) => {
      const res = await w.request('POST', `/api/panel/guilds/${guild}/sync`, { token: adminToken, body: {} });
      expect(res.status).toBe(202);
      const { rows } = await w.schema.pool.query<{ payload: { reason?: string } }>(
        `SELECT payload FROM ${OUTBOX_TABLE} WHERE channel = 'guild:reload' ORDER BY id DESC LIMIT 1`,
      );
      expect(rows[0]?.payload.reason).toBe(`Manual sync by ${DEMO.users.admin}`);
    }));

  it('names the bad field of a query or body, with where it is', () =>
    withWorld(async (w, adminToken) => {
      const call = (method: string, path: string, body?: unknown) =>
        w.request(method, `/api/panel/guilds/${guild}${path}`, { token: adminToken, body });
      const cases: [Promise<{ status: number; body: { error: { message: string } } }>, string][] = [
        [call('GET', '/revisions?limit=abc'), 'query.limit'],
        [call('PATCH', '/modules/welcome', { enabled: 'yes' }), 'body.enabled'],
        [call('POST', '/sync', { reason: 5 }), 'body.reason'],
        [call('POST', '/revisions/1/restore', { version: 'x' }), 'body.version'],
      ];
      for (const [response, field] of cases) {
        const res = await response;
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(field);
      }
    }));
});
