import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, PERMS, startWorld, type TestWorld } from './helpers.js';

// PATCH /api/panel/guilds/:id checks the session and the caller's rights inside its write
// statement instead of in a query of its own. Whatever such a request fails on, the caller must get
// the answer the separate checks give (401 before 403 before 404 before anything else), nothing may
// be written, and a caller without rights must not use up the guild's write budget.
describe('panel API: the settings write checks access in its own statement', () => {
  let w: TestWorld;
  const guild = DEMO.guildId;

  beforeAll(async () => {
    w = await startWorld({
      label: 'panel_settings_checks',
      config: { writeRateLimit: { windowMs: 60_000, perUser: 100, perGuild: 3 } },
    });
  });
  afterAll(() => w?.close());

  const patch = (token: string, body: unknown) =>
    w.request('PATCH', `/api/panel/guilds/${guild}`, { token, body });
  const state = async () => {
    const guildRow = await w.schema.pool.query('SELECT settings, version FROM guilds WHERE guild_id = $1', [
      guild,
    ]);
    const outbox = await w.schema.pool.query(`SELECT count(*)::int AS n FROM ${OUTBOX_TABLE}`);
    return { guild: guildRow.rows[0], outbox: outbox.rows[0].n };
  };
  it('a revoked session gets 401 whatever else is wrong with the request, and writes nothing', async () => {
    const revoked = await w.tokenFor(DEMO.users.admin);
    await w.schema.pool.query('UPDATE panel_sessions SET revoked_at = now() WHERE session_id = $1', [
      revoked.sessionId,
    ]);
    const before = await state();
    for (const body of [
      { settings: { prefix: '?' } }, // a good change
      { settings: { prefix: 'has space' } }, // a bad body
      { settings: { prefix: '?' }, version: 999 }, // a stale version
    ]) {
      const res = await patch(revoked.token, body);
      expect(res.status, JSON.stringify(body)).toBe(401);
      expect(res.body.error.code).toBe('session_revoked');
    }
    expect(await state()).toEqual(before);
  });

  it('a plain member gets 403, not the 409 that would tell them the current version', async () => {
    const member = (await w.tokenFor(DEMO.users.member)).token;
    const before = await state();
    for (const body of [{ settings: { prefix: '?' } }, { settings: { prefix: '?' }, version: 999 }]) {
      const res = await patch(member, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(JSON.stringify(res.body)).not.toContain('currentVersion');
    }
    expect(await state()).toEqual(before);
  });

  it("refused callers do not use up the guild's write budget; its admins still write", async () => {
    const member = (await w.tokenFor(DEMO.users.member)).token;
    for (let i = 0; i < 5; i++)
      expect((await patch(member, { settings: { prefix: `${i}!` } })).status).toBe(403);
    const admin = (await w.tokenFor(DEMO.users.admin)).token;
    // perGuild is 3: every one of these is counted, and the fourth is over.
    for (const prefix of ['a!', 'b!', 'c!'])
      expect((await patch(admin, { settings: { prefix } })).status).toBe(200);
    const over = await patch(admin, { settings: { prefix: 'd!' } });
    expect(over.status).toBe(429);
    expect(over.body.error.message).toBe('Too many configuration changes for this server: retry later');
    // Past the limit, a caller without rights still learns only that it has none.
    expect((await patch(member, { settings: { prefix: 'e!' } })).status).toBe(403);
  });
});

describe('panel API: rights taken away take effect on the next settings write', () => {
  let w: TestWorld;
  const guild = DEMO.guildId;

  beforeAll(async () => {
    w = await startWorld({ label: 'panel_settings_rights' });
  });
  afterAll(() => w?.close());

  const patch = (token: string, prefix: string) =>
    w.request('PATCH', `/api/panel/guilds/${guild}`, { token, body: { settings: { prefix } } });
  const version = async () =>
    Number(
      (await w.schema.pool.query('SELECT version FROM guilds WHERE guild_id = $1', [guild])).rows[0].version,
    );

  it('ADMINISTRATOR removed: 403 and nothing written; given back: 200', async () => {
    const admin = (await w.tokenFor(DEMO.users.admin)).token;
    expect((await patch(admin, 'a!')).status).toBe(200);
    const start = await version();
    await w.schema.pool.query(
      'UPDATE guild_members SET permissions = $3 WHERE guild_id = $1 AND user_id = $2',
      [guild, DEMO.users.admin, PERMS.moderator],
    );
    const refused = await patch(admin, 'b!');
    expect(refused.status).toBe(403);
    expect(await version()).toBe(start);
    await w.schema.pool.query(
      'UPDATE guild_members SET permissions = $3 WHERE guild_id = $1 AND user_id = $2',
      [guild, DEMO.users.admin, PERMS.admin],
    );
    const again = await patch(admin, 'c!');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ settings: { prefix: 'c!' }, version: start + 1 });
  });

  it('rights given back between the refused write and the checks: the write is made once more and answers 200', async () => {
    const admin = (await w.tokenFor(DEMO.users.admin)).token;
    expect((await patch(admin, 'd!')).status).toBe(200);
    const start = await version();
    const setPerms = (perms: string) =>
      w.schema.pool.query('UPDATE guild_members SET permissions = $3 WHERE guild_id = $1 AND user_id = $2', [
        guild,
        DEMO.users.admin,
        perms,
      ]);
    // The race, made deterministic: ADMINISTRATOR is taken away just before the API's first write
    // statement and given back when that write gives up (its ROLLBACK), before the checks run.
    const query = pg.Client.prototype.query;
    let step: 'before write' | 'refused' | 'restored' = 'before write';
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      const text = typeof first === 'string' ? first : (first.text ?? '');
      const run = () => (query as (...a: unknown[]) => unknown).apply(this, args);
      if (
        step === 'before write' &&
        text.startsWith('WITH current_row AS') &&
        text.includes('panel_sessions')
      ) {
        step = 'refused';
        return setPerms(PERMS.moderator).then(run);
      }
      if (step === 'refused' && text === 'ROLLBACK') {
        step = 'restored';
        return setPerms(PERMS.admin).then(run);
      }
      return run();
    } as typeof query;
    try {
      const res = await patch(admin, 'e!');
      expect(step).toBe('restored');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ settings: { prefix: 'e!' }, version: start + 1 });
    } finally {
      pg.Client.prototype.query = query;
      await setPerms(PERMS.admin);
    }
    expect(await version()).toBe(start + 1);
  });

  it('the bot leaves the guild: 404 guild_not_found and nothing written', async () => {
    const owner = (await w.tokenFor(DEMO.users.owner)).token;
    const start = await version();
    await w.schema.pool.query('UPDATE guilds SET bot_present = false WHERE guild_id = $1', [guild]);
    try {
      const res = await patch(owner, 'z!');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('guild_not_found');
      expect(await version()).toBe(start);
    } finally {
      await w.schema.pool.query('UPDATE guilds SET bot_present = true WHERE guild_id = $1', [guild]);
    }
  });
});
