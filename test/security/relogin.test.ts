/**
 * A user logs in again through Discord OAuth2 after losing a guild while nothing told the panel
 * (no bot running): the login's view of the memberships revokes the lost guild
 * (`permission:revoked`) and ends the user's older sessions (`session:revoked`, `relogin`) on
 * every node, in the transaction that stores the new memberships.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type RevocationWorld, startRevocationWorld } from './revocation_world.js';

let w: RevocationWorld;

beforeAll(async () => {
  w = await startRevocationWorld({ label: 'sec_relogin', bot: false });
});
afterAll(() => w?.close());

/** The browser's part of a Discord login on a node; returns the panel JWT. */
async function login(node: 0 | 1, userId: string): Promise<string> {
  const base = w.nodes[node].url;
  const start = await fetch(`${base}/api/auth/discord`, { redirect: 'manual' });
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const authorize = new URL(start.headers.get('location') ?? '');
  authorize.searchParams.set('user_id', userId);
  const approved = await fetch(authorize, { redirect: 'manual' });
  const callback = await fetch(approved.headers.get('location') ?? '', {
    redirect: 'manual',
    headers: { cookie },
  });
  const location = callback.headers.get('location') ?? '';
  expect(callback.status, location).toBe(302);
  return decodeURIComponent(location.slice(location.indexOf('#token=') + '#token='.length));
}

describe('re-login that drops a guild', () => {
  it('revokes the lost guild and ends the older sessions on every node', async () => {
    const first = await login(0, DEMO.users.admin);
    const other = await login(1, DEMO.users.owner);
    expect((await w.request(0, 'GET', `/api/panel/guilds/${DEMO.guildId}`, first)).status).toBe(200);
    const socket = await w.connect(1, first);
    const ownerSocket = await w.connect(0, other);

    // The admin leaves the guild while no bot is there to see it: only the next login can.
    w.emulator.control.removeMember(DEMO.guildId, DEMO.users.admin);
    const second = await login(0, DEMO.users.admin);

    const revoked = await socket.waitFor(
      (r) => r.event === 'permission:revoked' && r.payload['guildId'] === DEMO.guildId,
      'permission:revoked for the lost guild',
    );
    expect(revoked.payload).toMatchObject({ userId: DEMO.users.admin, reason: 'Access lost, seen at login' });
    const ended = await socket.waitFor((r) => r.event === 'session:revoked', 'session:revoked (relogin)');
    expect(ended.payload).toMatchObject({ userId: DEMO.users.admin, reason: 'relogin' });
    expect(await socket.disconnected).toBe('io server disconnect');
    // The revocation came first, then the session end, then nothing.
    expect(socket.received.map((r) => r.event).slice(-2)).toEqual(['permission:revoked', 'session:revoked']);

    expect((await w.request(1, 'GET', '/api/auth/me', first)).status).toBe(401);
    expect((await w.request(1, 'GET', '/api/auth/me', second)).status).toBe(200);
    expect((await w.request(1, 'GET', `/api/panel/guilds/${DEMO.guildId}`, second)).status).toBe(403);
    // Someone else's session is untouched: a sentinel to them, published after the login answered
    // (so after its events), reaches their socket with no session:revoked before it.
    await w.sentinelTo(DEMO.users.owner, [ownerSocket]);
    expect(ownerSocket.socket.connected).toBe(true);
    expect(ownerSocket.of('session:revoked')).toEqual([]);
  });

  it('a re-login that loses nothing ends no session', async () => {
    const first = await login(0, DEMO.users.owner);
    const socket = await w.connect(1, first);
    const again = await login(1, DEMO.users.owner);
    expect((await w.request(0, 'GET', '/api/auth/me', first)).status).toBe(200);
    expect((await w.request(0, 'GET', '/api/auth/me', again)).status).toBe(200);
    // Sentinel after the login answered (its events, if any, were published before it).
    await w.sentinelTo(DEMO.users.owner, [socket]);
    expect(socket.socket.connected).toBe(true);
    expect(socket.of('session:revoked')).toEqual([]);
  });
});
