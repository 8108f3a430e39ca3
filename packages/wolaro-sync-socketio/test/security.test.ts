import { uniquePrefix, waitFor } from '@wolaro/test-harness';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuildAck } from '../src/index.js';
import {
  Acl,
  cleanup,
  collect,
  connect,
  mintToken,
  refusal,
  SECRET_BYTES,
  startNode,
  startPublisher,
} from './helpers.js';

afterEach(cleanup);

const USER = '100000000000000001';
const OTHER = '100000000000000002';
const GUILD = '200000000000000001';
const FORBIDDEN_GUILD = '200000000000000002';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function node(extra: Parameters<typeof startNode>[0]['gateway'] = {}) {
  const keyPrefix = uniquePrefix('sec');
  const acl = new Acl().allow(USER, GUILD).allow(OTHER, GUILD);
  return { ...(await startNode({ keyPrefix, acl, gateway: extra })), keyPrefix, acl };
}

describe('handshake security', () => {
  it('refuses a connection without a token (unauthorized)', async () => {
    const { url } = await node();
    expect(await refusal(url, undefined)).toEqual({ message: 'unauthorized', code: 'unauthorized' });
  });

  it('refuses a malformed token (unauthorized)', async () => {
    const { url } = await node();
    for (const token of ['abc', 'a.b.c', `${b64url({ alg: 'HS256' })}.not-json.sig`, 'x'.repeat(10_000)]) {
      expect(await refusal(url, token)).toEqual({ message: 'unauthorized', code: 'unauthorized' });
    }
    // A token that is not a string at all.
    expect(await refusal(url, undefined, { auth: { token: { sub: USER } } })).toMatchObject({
      message: 'unauthorized',
    });
  });

  it('refuses a token signed with another secret (unauthorized)', async () => {
    const { url } = await node();
    const token = await mintToken({
      sub: USER,
      secret: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'),
    });
    expect(await refusal(url, token)).toEqual({ message: 'unauthorized', code: 'unauthorized' });
  });

  it('refuses an unsigned alg:none token (unauthorized)', async () => {
    const { url } = await node();
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: USER, exp })}.`;
    expect(await refusal(url, token)).toEqual({ message: 'unauthorized', code: 'unauthorized' });
    // Same claims, properly signed: accepted, so the refusal above is about alg:none only.
    await expect(connect(url, await mintToken({ sub: USER }))).resolves.toMatchObject({ connected: true });
  });

  it('refuses an expired token (token_expired)', async () => {
    const { url } = await node();
    const token = await mintToken({ sub: USER, expiresInSeconds: -10 });
    expect(await refusal(url, token)).toEqual({ message: 'token_expired', code: 'token_expired' });
  });

  it('refuses a token without a usable subject or expiry (unauthorized)', async () => {
    const { url } = await node();
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(SECRET_BYTES);
    const badSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('guild:1')
      .setExpirationTime('1h')
      .sign(SECRET_BYTES);
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .sign(SECRET_BYTES);
    for (const token of [noSub, badSub, noExp]) {
      expect((await refusal(url, token)).message).toBe('unauthorized');
    }
  });

  it('ignores a token in the query string (unauthorized)', async () => {
    const { url } = await node();
    const token = await mintToken({ sub: USER });
    expect(await refusal(url, undefined, { query: { token } })).toEqual({
      message: 'unauthorized',
      code: 'unauthorized',
    });
  });

  it('refuses a forbidden origin, accepts allowed and absent ones (origin_not_allowed)', async () => {
    const { url } = await node({ allowedOrigins: ['https://wolaro.fr'] });
    const token = await mintToken({ sub: USER });
    for (const origin of [
      'https://evil.example',
      'https://wolaro.fr.evil.example',
      'null',
      'http://wolaro.fr',
    ]) {
      expect(await refusal(url, token, { extraHeaders: { origin } })).toEqual({
        message: 'origin_not_allowed',
        code: 'origin_not_allowed',
      });
    }
    await expect(
      connect(url, token, { extraHeaders: { origin: 'https://wolaro.fr' } }),
    ).resolves.toMatchObject({
      connected: true,
    });
    // socket.io-client in Node sends no Origin: a non-browser client, accepted by default.
    await expect(connect(url, token)).resolves.toMatchObject({ connected: true });
  });

  it('refuses a missing origin when requireOrigin is set', async () => {
    const { url } = await node({ allowedOrigins: ['https://wolaro.fr'], requireOrigin: true });
    const token = await mintToken({ sub: USER });
    expect((await refusal(url, token)).message).toBe('origin_not_allowed');
    await expect(
      connect(url, token, { extraHeaders: { origin: 'https://wolaro.fr' } }),
    ).resolves.toBeTruthy();
  });
});

describe('guild authorization', () => {
  it('never lets an unauthorized user into a guild room, nor any of its events', async () => {
    const { url, keyPrefix, acl } = await node();
    // listGuilds also returns a guild the user may not manage: authorize must filter it out.
    acl.extraListed.set(USER, [FORBIDDEN_GUILD, 'not-a-snowflake']);
    const socket = await connect(url, await mintToken({ sub: USER }));
    const forbiddenEvents: unknown[] = [];
    for (const event of ['config:updated', 'module:toggled', 'guild:reload', 'command:executed'] as const) {
      (socket as unknown as { on(e: string, l: (p: { guildId: string }) => void): void }).on(event, (p) => {
        if (p.guildId === FORBIDDEN_GUILD) forbiddenEvents.push(p);
      });
    }
    const allowed = collect(socket, 'guild:reload');

    expect(await socket.emitWithAck('join:guild', FORBIDDEN_GUILD)).toEqual({
      ok: false,
      error: 'forbidden',
    });

    const pub = await startPublisher(keyPrefix);
    for (let i = 0; i < 10; i++) {
      await pub.publishConfigUpdate(FORBIDDEN_GUILD, { prefix: `!${i}` }, i + 1);
      await pub.publishModuleToggle(FORBIDDEN_GUILD, 'welcome', i % 2 === 0, i + 1);
      await pub.publishGuildReload(FORBIDDEN_GUILD, 'test');
      await pub.publishCommandExecuted(FORBIDDEN_GUILD, 'ban', OTHER, 'success');
    }
    // Sentinel on the allowed guild: delivery is in order, so everything before it was handled.
    await pub.publishGuildReload(GUILD, 'sentinel');
    await waitFor(() => allowed.length === 1);
    expect(allowed[0]?.guildId).toBe(GUILD);
    expect(forbiddenEvents).toEqual([]);
  });

  it('acks invalid guild ids and odd payloads without throwing', async () => {
    const { url, keyPrefix, gateway } = await node();
    const socket = await connect(url, await mintToken({ sub: USER }));
    const raw = socket as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<GuildAck> };
    for (const bad of ['abc', '', '1'.repeat(21), 123, null, { guildId: GUILD }, ['1']]) {
      expect(await raw.emitWithAck('join:guild', bad)).toEqual({ ok: false, error: 'invalid' });
      expect(await raw.emitWithAck('leave:guild', bad)).toEqual({ ok: false, error: 'invalid' });
    }
    // The note's ack-less form, and garbage without an ack: no crash, no reply expected.
    const loose = socket as unknown as { emit(e: string, ...a: unknown[]): void };
    loose.emit('join:guild', GUILD);
    loose.emit('join:guild', { $where: 1 }, 'not-a-fn');
    loose.emit('join:guild');
    loose.emit('leave:guild', '__proto__', 'not-a-fn', 42);
    // Still served afterwards.
    expect(await socket.emitWithAck('join:guild', GUILD)).toEqual({ ok: true });
    expect(gateway.stats()).toMatchObject({ connectedUsers: 1, totalConnections: 1, rooms: 1 });
    // leave:guild works and stops that guild's events.
    expect(await socket.emitWithAck('leave:guild', GUILD)).toEqual({ ok: true });
    expect(gateway.stats().rooms).toBe(0);
    const reloads = collect(socket, 'guild:reload');
    const pub = await startPublisher(keyPrefix);
    await pub.publishGuildReload(GUILD);
    // Sentinel over the same bus, after it: a revocation of another guild reaches the user's room.
    const revoked = collect(socket, 'permission:revoked');
    await pub.publishPermissionRevoked(FORBIDDEN_GUILD, USER, 'sentinel');
    await waitFor(() => revoked.length === 1);
    expect(reloads).toEqual([]);
  });

  it('a flood of 1,000 join:guild from one socket does not stall another socket', async () => {
    const slowAcl = new Acl().allow(USER, GUILD).allow(OTHER, GUILD);
    let authorizeCalls = 0;
    const { url, keyPrefix } = await node({
      // A database-like authorize: async, a few ms each.
      authorize: async (u, g) => {
        authorizeCalls++;
        await new Promise((r) => setTimeout(r, 5));
        return slowAcl.authorize(u, g);
      },
      listGuilds: () => [],
      // The default burst, with a refill too slow to matter: the counts below do not depend on
      // how long the flood takes on a loaded machine.
      rateLimit: { burst: 40, perSecond: 0.001 },
    });
    const flooder = await connect(url, await mintToken({ sub: USER }));
    const other = await connect(url, await mintToken({ sub: OTHER }));
    const otherEvents = collect(other, 'guild:reload');
    const pub = await startPublisher(keyPrefix);

    const acks: GuildAck[] = [];
    const floodDone = new Promise<void>((resolve) => {
      for (let i = 0; i < 1000; i++) {
        flooder.emit('join:guild', GUILD, (res) => {
          acks.push(res);
          if (acks.length === 1000) resolve();
        });
      }
    });
    // The other socket is served while the flood is refused (how fast is for the benchmarks).
    const ack = await other.emitWithAck('join:guild', GUILD);
    expect(ack).toEqual({ ok: true });
    await pub.publishGuildReload(GUILD, 'while flooding');
    await waitFor(() => otherEvents.length === 1, { intervalMs: 2 });
    await floodDone;

    const limited = acks.filter((a) => !a.ok && a.error === 'rate_limited').length;
    const ok = acks.filter((a) => a.ok).length;
    expect(ok + limited).toBe(1000);
    expect(ok).toBe(40); // the burst
    expect(limited).toBe(960);
    expect(authorizeCalls).toBe(41); // refused floods never reach the database (+1: the other socket)
  });
});
