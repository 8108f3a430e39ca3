/**
 * The contract (`@wolaro/panel-api/contract`) against the real API: every JSON route is called on
 * a running server (real Postgres, real Redis, the Discord emulator) and its answer must parse with
 * the route's schema into exactly the same value (no field the contract does not name), errors
 * included. The contract itself must stay browser-safe: zod and its own files only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { LANGUAGES as DB_LANGUAGES, MODULE_NAMES as DB_MODULE_NAMES, recordCommand } from '@wolaro/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_ERROR_CODES,
  type ApiErrorCode,
  apiErrorBody,
  LANGUAGES,
  MODULE_NAMES,
  PANEL_API_ROUTES,
  type PanelApiRoute,
  type ResponseOf,
} from '../src/contract/index.js';
import type { ApiErrorCode as ThrownErrorCode } from '../src/http/errors.js';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// The codes the API throws and the codes the contract lists are the same set.
const _thrown: readonly ThrownErrorCode[] = API_ERROR_CODES;
const _listed: readonly ApiErrorCode[] = [] as ThrownErrorCode[];

const guild = DEMO.guildId;
const CONTRACT_DIR = new URL('../src/contract/', import.meta.url);

describe('the HTTP contract', () => {
  let w: TestWorld;
  let owner: string;
  let admin: string;
  const covered = new Set<PanelApiRoute>();

  /** Calls `route` (filling its `:params`) and returns the answer parsed with the route's schema. */
  async function call<R extends PanelApiRoute>(
    route: R,
    params: { path?: string; token?: string; body?: unknown } = {},
  ): Promise<ResponseOf<R>> {
    const [method, pattern] = route.split(' ') as [string, string];
    const { status, body } = await w.request(method, params.path ?? pattern, {
      token: params.token ?? owner,
      body: params.body,
    });
    const spec = PANEL_API_ROUTES[route];
    expect(status, `${route}: ${JSON.stringify(body)}`).toBe(spec.status);
    const parsed = spec.response.safeParse(body);
    expect(parsed.error?.issues ?? [], route).toEqual([]);
    // Parsing drops fields the schema does not name: an equal value means there were none.
    expect(parsed.data, route).toEqual(body);
    covered.add(route);
    return parsed.data as ResponseOf<R>;
  }

  /** Calls a route expected to fail and checks the error shape. */
  async function fail(method: string, path: string, status: number, code: ApiErrorCode, body?: unknown) {
    const res = await w.request(method, path, { token: owner, body });
    expect(res.status, `${method} ${path}`).toBe(status);
    const parsed = apiErrorBody.safeParse(res.body);
    expect(parsed.error?.issues ?? [], `${method} ${path}`).toEqual([]);
    expect(parsed.data?.error.code).toBe(code);
    expect(API_ERROR_CODES).toContain(parsed.data?.error.code);
    return parsed.data!.error;
  }

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_contract' });
    owner = (await w.tokenFor(DEMO.users.owner)).token; // also in ADMIN_USER_IDS
    admin = (await w.tokenFor(DEMO.users.admin)).token;
    await recordCommand(w.schema.pool, {
      guildId: guild,
      command: '?ping',
      executorId: DEMO.users.member,
      executor: 'nina_member',
      result: 'success',
    });
    await recordCommand(w.schema.pool, {
      guildId: guild,
      command: 'ban',
      executorId: DEMO.users.member,
      result: 'denied',
    });
  });
  afterAll(() => w?.close());

  it('every route answers what its schema says', async () => {
    const health = await call('GET /api/health', { token: '' });
    expect(health.database).toBe('connected');
    const me = await call('GET /api/auth/me');
    expect(me).toMatchObject({ user: { id: DEMO.users.owner }, admin: true });

    const { guilds } = await call('GET /api/panel/guilds');
    expect(guilds.map((g) => g.guildId)).toContain(guild);
    const base = `/api/panel/guilds/${guild}`;
    const detail = await call('GET /api/panel/guilds/:id', { path: base });

    const saved = await call('PATCH /api/panel/guilds/:id', {
      path: base,
      body: { settings: { prefix: '?', logChannelId: DEMO.channels.general }, version: detail.version },
    });
    expect(saved.version).toBe(detail.version + 1);
    const toggled = await call('PATCH /api/panel/guilds/:id/modules/:name', {
      path: `${base}/modules/welcome`,
      body: { enabled: true, config: { message: 'Hi {user}' }, version: saved.version },
    });
    expect(toggled).toMatchObject({ module: 'welcome', enabled: true, version: saved.version + 1 });
    await call('POST /api/panel/guilds/:id/sync', { path: `${base}/sync`, body: {} });

    const { revisions } = await call('GET /api/panel/guilds/:id/revisions', { path: `${base}/revisions` });
    expect(revisions.map((r) => r.version).slice(0, 3)).toEqual([toggled.version, saved.version, 1]);
    expect(revisions[0]?.changedByName).toBe('theo7791l');
    const restored = await call('POST /api/panel/guilds/:id/revisions/:rev/restore', {
      path: `${base}/revisions/1/restore`,
      body: { version: toggled.version },
    });
    expect(restored).toMatchObject({ restored: 1, version: toggled.version + 1, settings: { prefix: '!' } });

    const { logs } = await call('GET /api/panel/guilds/:id/logs', { path: `${base}/logs` });
    expect(logs.map((l) => l.command)).toEqual(['ban', '?ping']);
    const channels = await call('GET /api/discord/guilds/:id/channels', {
      path: `/api/discord/guilds/${guild}/channels`,
    });
    expect(channels.text.map((c) => c.id)).toContain(DEMO.channels.general);

    await call('GET /api/admin/websocket/stats');
    await call('GET /api/admin/cache/stats');
    await call('POST /api/auth/logout', { token: admin });

    expect([...covered].sort()).toEqual(Object.keys(PANEL_API_ROUTES).sort());
  });

  it('errors have the contract shape, with fields and versions where they apply', async () => {
    const base = `/api/panel/guilds/${guild}`;
    const invalid = await fail('PATCH', base, 400, 'invalid_body', { settings: { prefix: 'a b c' } });
    expect(invalid.fields).toEqual(['body.settings.prefix']);
    const { version } = (await w.request('GET', base, { token: owner })).body as { version: number };
    const conflict = await fail('PATCH', base, 409, 'version_conflict', {
      settings: { prefix: '$' },
      version: version - 1,
    });
    expect(conflict.currentVersion).toBe(version);
    await fail('GET', '/api/panel/guilds/555555555555555501', 403, 'forbidden');
    await fail('GET', '/api/panel/nothing', 404, 'not_found');
    const anonymous = await w.request('GET', '/api/auth/me');
    expect(apiErrorBody.parse(anonymous.body).error.code).toBe('unauthorized');
  });

  it('is browser-safe: its files import zod and each other only', () => {
    const files = readdirSync(CONTRACT_DIR).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('index.ts');
    for (const file of files) {
      const source = readFileSync(new URL(file, CONTRACT_DIR), 'utf8');
      const specifiers = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)'/gm)].map(
        (m) => m[1],
      );
      expect(specifiers.length, file).toBeGreaterThan(0);
      for (const specifier of specifiers) expect(specifier, file).toMatch(/^(zod|\.\/[a-z_]+\.js)$/);
      expect(source, file).not.toMatch(/\bimport\(|\brequire\(|\bprocess\.|\bBuffer\b/);
    }
  });

  it('names the same languages and modules as the database layer', () => {
    expect([...LANGUAGES]).toEqual([...DB_LANGUAGES]);
    expect([...MODULE_NAMES]).toEqual([...DB_MODULE_NAMES]);
  });
});
