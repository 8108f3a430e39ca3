import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startWorld, type TestWorld } from './helpers.js';

// Per-user and per-guild write limits on the guild write routes: 429 rate_limited with
// Retry-After, in the API's error shape, and nothing written by a refused request.
describe('panel API: write limits', () => {
  let w: TestWorld;
  const guild = DEMO.guildId;

  beforeAll(async () => {
    w = await startWorld({
      label: 'panel_write_limits',
      config: { writeRateLimit: { windowMs: 60_000, perUser: 3, perGuild: 5 } },
    });
  });
  afterAll(() => w?.close());

  const patch = (token: string, prefix: string) =>
    w.request('PATCH', `/api/panel/guilds/${guild}`, { token, body: { settings: { prefix } } });
  const version = async () =>
    Number(
      (await w.schema.pool.query('SELECT version FROM guilds WHERE guild_id = $1', [guild])).rows[0].version,
    );

  it('429 past the per-user limit, then past the per-guild limit for another admin of the same guild', async () => {
    const admin = (await w.tokenFor(DEMO.users.admin)).token;
    const owner = (await w.tokenFor(DEMO.users.owner)).token;
    for (const prefix of ['a!', 'b!', 'c!']) expect((await patch(admin, prefix)).status).toBe(200);

    const start = await version();
    const refused = await patch(admin, 'd!');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: { code: 'rate_limited', message: 'Too many configuration changes from you: retry later' },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other write routes share the same per-user budget.
    const sync = await w.request('POST', `/api/panel/guilds/${guild}/sync`, { token: admin, body: {} });
    expect(sync.status).toBe(429);
    expect(await version()).toBe(start);
    // Reads are not write-limited.
    expect((await w.request('GET', `/api/panel/guilds/${guild}`, { token: admin })).status).toBe(200);

    // The owner has a budget of their own, but the guild has 5 writes in all (the admin's 3 + 2).
    expect((await patch(owner, 'e!')).status).toBe(200);
    expect((await patch(owner, 'f!')).status).toBe(200);
    const guildRefused = await patch(owner, 'g!');
    expect(guildRefused.status).toBe(429);
    expect(guildRefused.body.error).toEqual({
      code: 'rate_limited',
      message: 'Too many configuration changes for this server: retry later',
    });
    expect(Number(guildRefused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await version()).toBe(start + 2);
  });
});
