import { Client, GatewayIntentBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DEMO, GatewayIntents, GatewayOpcodes } from '../src/index.js';
import { botAuth, emulator, http, identify, rawGateway } from './helpers.js';

describe('bad input gets Discord-shaped errors', () => {
  it('rejects a wrong bot token on REST (401) and discord.js login fails', async () => {
    const instance = await emulator();
    const res = await http(`${instance.apiUrl}/v10/users/@me`, {
      headers: { authorization: 'Bot not-the-token' },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: '401: Unauthorized', code: 0 });
    const missing = await http(`${instance.apiUrl}/v10/gateway/bot`);
    expect(missing.status).toBe(401);

    const bot = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: instance.apiUrl } });
    try {
      await expect(bot.login('MTIz.d3Jvbmc.dG9rZW4')).rejects.toMatchObject({ code: 'TokenInvalid' });
    } finally {
      await bot.destroy();
    }
  });

  it('closes the gateway with 4004 on a wrong token in IDENTIFY', async () => {
    const instance = await emulator();
    const gateway = await rawGateway(instance);
    gateway.send(GatewayOpcodes.Identify, identify('wrong', GatewayIntents.Guilds));
    expect(await gateway.closed).toEqual({ code: 4004, reason: 'Authentication failed.' });
  });

  it('closes with 4013 on invalid intents and 4014 on disallowed privileged intents', async () => {
    const instance = await emulator();
    const invalid = await rawGateway(instance);
    invalid.send(GatewayOpcodes.Identify, identify(instance.botToken, GatewayIntents.Guilds | (1 << 17)));
    expect((await invalid.closed).code).toBe(4013);

    const strict = await emulator({ privilegedIntents: false });
    const privileged = await rawGateway(strict);
    privileged.send(
      GatewayOpcodes.Identify,
      identify(strict.botToken, GatewayIntents.Guilds | GatewayIntents.MessageContent),
    );
    expect(await privileged.closed).toEqual({ code: 4014, reason: 'Disallowed intent(s).' });
    // Non-privileged intents still work there.
    const fine = await rawGateway(strict);
    fine.send(
      GatewayOpcodes.Identify,
      identify(strict.botToken, GatewayIntents.Guilds | GatewayIntents.GuildMessages),
    );
    expect((await fine.dispatch('READY')).s).toBe(1);
    // And REST member listing, which needs the GUILD_MEMBERS intent enabled, is refused.
    const list = await http(`${strict.apiUrl}/v10/guilds/${DEMO.guildId}/members?limit=10`, {
      headers: botAuth(strict),
    });
    expect(list.status).toBe(403);
    expect(list.body).toEqual({ message: 'Missing Access', code: 50001 });
  });

  it('closes with the documented codes on protocol violations', async () => {
    const instance = await emulator();
    const decode = await rawGateway(instance);
    decode.ws.send('{not json');
    expect((await decode.closed).code).toBe(4002);
    const unauthenticated = await rawGateway(instance);
    unauthenticated.send(GatewayOpcodes.PresenceUpdate, {
      status: 'online',
      since: null,
      activities: [],
      afk: false,
    });
    expect((await unauthenticated.closed).code).toBe(4003);
    const unknownOp = await rawGateway(instance);
    unknownOp.send(42, null);
    expect((await unknownOp.closed).code).toBe(4001);
    const twice = await rawGateway(instance);
    twice.send(GatewayOpcodes.Identify, identify(instance.botToken, GatewayIntents.Guilds));
    await twice.dispatch('READY');
    twice.send(GatewayOpcodes.Identify, identify(instance.botToken, GatewayIntents.Guilds));
    expect((await twice.closed).code).toBe(4005);
    const version = await rawGateway(instance, '?v=8&encoding=json');
    expect((await version.closed).code).toBe(4012);
  });

  it('answers unknown routes with 404 and unknown entities with their Discord codes', async () => {
    const instance = await emulator();
    const unknownRoute = await http(`${instance.apiUrl}/v10/does/not/exist`, { headers: botAuth(instance) });
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body).toEqual({ message: '404: Not Found', code: 0 });
    expect((await http(`${instance.url}/nothing-here`)).body).toEqual({ message: '404: Not Found', code: 0 });
    const channel = await http(`${instance.apiUrl}/v10/channels/1`, { headers: botAuth(instance) });
    expect(channel.status).toBe(404);
    expect(channel.body).toEqual({ message: 'Unknown Channel', code: 10003 });
    const guild = await http(`${instance.apiUrl}/v10/guilds/1`, { headers: botAuth(instance) });
    expect(guild.body).toEqual({ message: 'Unknown Guild', code: 10004 });
    const member = await http(`${instance.apiUrl}/v10/guilds/${DEMO.guildId}/members/1`, {
      headers: botAuth(instance),
    });
    expect(member.body).toEqual({ message: 'Unknown Member', code: 10007 });
    const user = await http(`${instance.apiUrl}/v9/users/1`, { headers: botAuth(instance) });
    expect(user.body).toEqual({ message: 'Unknown User', code: 10013 });
    const method = await http(`${instance.apiUrl}/v10/gateway/bot`, {
      method: 'DELETE',
      headers: botAuth(instance),
    });
    expect(method.status).toBe(405);
    const version = await http(`${instance.apiUrl}/v8/users/@me`, { headers: botAuth(instance) });
    expect(version.status).toBe(400);
    expect(version.body).toEqual({ message: 'Invalid API version provided', code: 50041 });
  });

  it('answers malformed JSON with 400 50109 and invalid bodies with 50035 field errors', async () => {
    const instance = await emulator();
    const url = `${instance.apiUrl}/v10/channels/${DEMO.channels.general}/messages`;
    const malformed = await http(url, {
      method: 'POST',
      headers: botAuth(instance),
      raw: '{"content": "hi"',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ message: 'The request body contains invalid JSON.', code: 50109 });
    const empty = await http(url, { method: 'POST', headers: botAuth(instance), body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ message: 'Cannot send an empty message', code: 50006 });
    const tooLong = await http(url, {
      method: 'POST',
      headers: botAuth(instance),
      body: { content: 'x'.repeat(2001) },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: {
        content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
      },
    });
  });

  it('enforces channel permissions and guild membership', async () => {
    const instance = await emulator();
    instance.control.updateChannel(DEMO.channels.welcome, {
      permissionOverwrites: [{ id: DEMO.applicationId, type: 'member', deny: 1n << 11n }],
    });
    const denied = await http(`${instance.apiUrl}/v10/channels/${DEMO.channels.welcome}/messages`, {
      method: 'POST',
      headers: botAuth(instance),
      body: { content: 'hi' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ message: 'Missing Permissions', code: 50013 });
    const other = instance.control.createGuild({
      name: 'No bot here',
      ownerId: DEMO.users.owner,
      includeBot: false,
    });
    const noAccess = await http(`${instance.apiUrl}/v10/guilds/${other.id}`, { headers: botAuth(instance) });
    expect(noAccess.status).toBe(403);
    expect(noAccess.body).toEqual({ message: 'Missing Access', code: 50001 });
  });

  it('sends rate limit headers and a real 429 when a bucket is exhausted', async () => {
    const instance = await emulator({ rateLimit: { limit: 2, windowMs: 60_000 } });
    const url = `${instance.apiUrl}/v10/users/@me`;
    const first = await http(url, { headers: botAuth(instance) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(0);
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(first.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
    await http(url, { headers: botAuth(instance) });
    const limited = await http(url, { headers: botAuth(instance) });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ message: 'You are being rate limited.', global: false });
    expect((limited.body as { retry_after: number }).retry_after).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another route has its own bucket.
    expect((await http(`${instance.apiUrl}/v10/gateway/bot`, { headers: botAuth(instance) })).status).toBe(
      200,
    );
  });
});
