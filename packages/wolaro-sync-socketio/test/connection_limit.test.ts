import { captureLogger, uniquePrefix } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TRACKED_KEYS, SlidingWindowCounter } from '../src/internal/sliding_window.js';
import { Acl, cleanup, connect, mintToken, refusal, startNode } from './helpers.js';

const ALICE = '100000000000000001';
const BOB = '100000000000000002';
const G1 = '200000000000000001';
const G2 = '200000000000000002';

afterEach(cleanup);

describe('SlidingWindowCounter', () => {
  it('allows `limit` hits per window, then refuses until the window slides', () => {
    const counter = new SlidingWindowCounter(3, 1000, 0);
    expect([1, 2, 3, 4].map(() => counter.hit('a', 10))).toEqual([true, true, true, false]);
    expect(counter.hit('b', 10)).toBe(true); // keys are independent
    // Half a window later the previous window weighs half: 4 × 0.5 + 1 = 3 ≤ 3.
    expect(counter.hit('a', 1500)).toBe(true);
    expect(counter.hit('a', 1500)).toBe(false);
    // Two windows later everything is forgotten.
    expect(counter.hit('a', 3000)).toBe(true);
    expect(counter.size).toBe(1);
  });

  it('refused hits count too, so a client that keeps hammering stays refused', () => {
    const counter = new SlidingWindowCounter(2, 1000, 0);
    for (let t = 0; t < 5000; t += 10) counter.hit('flood', t);
    expect(counter.hit('flood', 5000)).toBe(false);
  });

  it('holds at most MAX_TRACKED_KEYS keys per window (past it, new keys pass untracked)', () => {
    const counter = new SlidingWindowCounter(1, 1000, 0);
    for (let i = 0; i < MAX_TRACKED_KEYS; i++) counter.hit(`k${i}`, 1);
    expect(counter.hit('k0', 2)).toBe(false);
    expect(counter.hit('new', 2)).toBe(true);
    expect(counter.hit('new', 2)).toBe(true);
    expect(counter.size).toBe(MAX_TRACKED_KEYS);
  });
});

describe('connectionRateLimit', () => {
  it('per user: past the limit that user is refused with rate_limited, others still connect', async () => {
    const node = await startNode({
      keyPrefix: uniquePrefix('connlimit'),
      gateway: { connectionRateLimit: { perIp: false, perUser: 2, windowMs: 60_000 } },
    });
    const alice = await mintToken({ sub: ALICE });
    await connect(node.url, alice);
    await connect(node.url, alice);
    expect(await refusal(node.url, alice)).toEqual({ message: 'rate_limited', code: 'rate_limited' });
    await connect(node.url, await mintToken({ sub: BOB }));
    expect(node.gateway.stats()).toMatchObject({ connectedUsers: 2, totalConnections: 3 });
  });

  it('per address: counted before the token is read, keyed by clientAddress', async () => {
    const logger = captureLogger();
    let address = '203.0.113.1';
    const node = await startNode({
      keyPrefix: uniquePrefix('connlimit'),
      logger,
      gateway: {
        connectionRateLimit: { perIp: 2, perUser: false, windowMs: 60_000 },
        clientAddress: () => address,
      },
    });
    // Bad tokens count against the address as well: the limit runs before any verification.
    expect((await refusal(node.url, 'not-a-token')).code).toBe('unauthorized');
    await connect(node.url, await mintToken({ sub: ALICE }));
    expect(await refusal(node.url, await mintToken({ sub: BOB }))).toEqual({
      message: 'rate_limited',
      code: 'rate_limited',
    });
    expect(logger.has('too many handshakes from 203.0.113.1', 'debug')).toBe(true);
    address = '203.0.113.2';
    await connect(node.url, await mintToken({ sub: BOB }));
  });

  it('the defaults apply when the option is omitted, and `false` turns the limits off', async () => {
    const limited = await startNode({ keyPrefix: uniquePrefix('connlimit') });
    const token = await mintToken({ sub: ALICE });
    for (let i = 0; i < 20; i++) await connect(limited.url, token);
    expect((await refusal(limited.url, token)).code).toBe('rate_limited'); // perUser: 20 per 10 s
    const open = await startNode({
      keyPrefix: uniquePrefix('connlimit'),
      gateway: { connectionRateLimit: false },
    });
    for (let i = 0; i < 25; i++) await connect(open.url, token);
    expect(open.gateway.stats().totalConnections).toBe(25);
  });
});

describe('authorizeGuilds', () => {
  it('one call checks every listed guild; only ids it was asked about and returned are joined', async () => {
    const calls: (readonly string[])[] = [];
    const acl = new Acl().allow(ALICE, G1, G2);
    const node = await startNode({
      keyPrefix: uniquePrefix('batch'),
      acl,
      gateway: {
        authorize: () => {
          throw new Error('authorize must not run in the handshake when authorizeGuilds is set');
        },
        authorizeGuilds: (_userId, ids) => {
          calls.push(ids);
          return [G1, '999999999999999999']; // G2 refused; an id it was not asked about is ignored
        },
      },
    });
    await connect(node.url, await mintToken({ sub: ALICE }));
    expect(calls).toEqual([[G1, G2]]);
    const rooms = [...node.io.of('/').sockets.values()][0]?.rooms ?? new Set();
    expect([...rooms].filter((r) => r.startsWith('guild:'))).toEqual([`guild:${G1}`]);
  });

  it('a failing authorizeGuilds joins nothing (logged), and the socket still connects', async () => {
    const logger = captureLogger();
    const node = await startNode({
      keyPrefix: uniquePrefix('batch'),
      acl: new Acl().allow(ALICE, G1),
      logger,
      gateway: {
        authorizeGuilds: () => {
          throw new Error('database down');
        },
      },
    });
    await connect(node.url, await mintToken({ sub: ALICE }));
    expect(node.gateway.stats().rooms).toBe(0);
    expect(logger.has('authorizeGuilds failed', 'warn')).toBe(true);
  });
});
