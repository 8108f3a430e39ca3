import { uniquePrefix } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { Acl, cleanup, connect, mintToken, startNode } from './helpers.js';

afterEach(cleanup);

const USER = '900000000000000001';

describe('token expiry', () => {
  it('sends session:expired then disconnects the socket at exp, never before', async () => {
    const { url, gateway } = await startNode({
      keyPrefix: uniquePrefix('exp'),
      acl: new Acl().allow(USER, '900000000000000009'),
    });
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await mintToken({ sub: USER, expiresInSeconds: exp - Math.floor(Date.now() / 1000) });
    const socket = await connect(url, token);
    const events: { what: string; at: number; detail: unknown }[] = [];
    socket.on('session:expired', (e) => events.push({ what: 'session:expired', at: Date.now(), detail: e }));
    const gone = new Promise<void>((resolve) =>
      socket.on('disconnect', (reason) => {
        events.push({ what: 'disconnect', at: Date.now(), detail: reason });
        resolve();
      }),
    );
    await Promise.race([
      gone,
      new Promise((_, reject) => setTimeout(() => reject(new Error('still connected 3 s after exp')), 5000)),
    ]);
    expect(events.map((e) => e.what)).toEqual(['session:expired', 'disconnect']);
    expect(events[0]!.detail).toEqual({ expiresAt: exp * 1000 });
    expect(events[1]!.detail).toBe('io server disconnect');
    const lateness = events[1]!.at - exp * 1000;
    expect(lateness).toBeGreaterThanOrEqual(-20); // never before exp (allowing timer/clock granularity)
    expect(gateway.stats().totalConnections).toBe(0);
  });
});
