import { captureLogger, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuildAck } from '../src/index.js';
import { Acl, cleanup, connect, mintToken, refusal, startNode, startPublisher } from './helpers.js';

afterEach(cleanup);

const ALICE = '710000000000000001';
const BOB = '710000000000000002';
const G1 = '810000000000000001';
const G2 = '810000000000000002';
const G3 = '810000000000000003';

const NO_ORIGINS_WARNING = 'attachSync: no allowedOrigins, Socket.io handshakes from any origin are accepted';

describe('allowedOrigins warning', () => {
  it('warns once at attach time when no allowedOrigins is given', async () => {
    const logger = captureLogger();
    await startNode({ keyPrefix: uniquePrefix('gwa'), logger });
    const warnings = logger.entries.filter((e) => e.msg === NO_ORIGINS_WARNING);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', obj: {} });
  });

  it('does not warn when allowedOrigins is given', async () => {
    const logger = captureLogger();
    await startNode({
      keyPrefix: uniquePrefix('gwa'),
      logger,
      gateway: { allowedOrigins: ['https://wolaro.fr'] },
    });
    expect(logger.has('allowedOrigins')).toBe(false);
    expect(logger.has('any origin')).toBe(false);
  });
});

describe('handshake failures', () => {
  it('a verifier result that throws when read refuses with unauthorized and logs the error', async () => {
    const logger = captureLogger();
    const boom = new Error('lazy entity: connection closed');
    const { url } = await startNode({
      keyPrefix: uniquePrefix('gwa'),
      logger,
      gateway: {
        // Like a lazy ORM entity whose fields load on first read, after its connection closed.
        verifyToken: async () => ({
          get userId(): string {
            throw boom;
          },
        }),
      },
    });
    expect(await refusal(url, 'any-token')).toEqual({ message: 'unauthorized', code: 'unauthorized' });
    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe('Socket handshake failed unexpectedly');
    expect(errors[0]!.obj).toEqual({ err: boom });
  });

  it('an ordinary refusal (HandshakeError) is not logged as unexpected', async () => {
    const logger = captureLogger();
    const { url } = await startNode({ keyPrefix: uniquePrefix('gwa'), logger });
    // The error log would be written before next(err), so before the client sees the refusal.
    expect(await refusal(url, undefined)).toEqual({ message: 'unauthorized', code: 'unauthorized' });
    expect(await refusal(url, await mintToken({ sub: ALICE, expiresInSeconds: -10 }))).toMatchObject({
      code: 'token_expired',
    });
    expect(logger.has('Socket handshake failed unexpectedly')).toBe(false);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});

describe('join:guild / leave:guild acks', () => {
  it('answers exactly { ok: true }, forbidden, invalid and rate_limited', async () => {
    const acl = new Acl().allow(ALICE, G1);
    const { url } = await startNode({
      keyPrefix: uniquePrefix('gwa'),
      acl,
      gateway: { listGuilds: () => [], rateLimit: { burst: 4, perSecond: 0.001 } },
    });
    const alice = await connect(url, await mintToken({ sub: ALICE }));
    const acks: GuildAck[] = [];
    acks.push(await alice.emitWithAck('join:guild', G1));
    acks.push(await alice.emitWithAck('join:guild', G2));
    acks.push(await alice.emitWithAck('join:guild', 'not-a-guild'));
    acks.push(await alice.emitWithAck('leave:guild', G1));
    // The burst of 4 is spent, and the refill is too slow to matter.
    acks.push(await alice.emitWithAck('leave:guild', G1));
    expect(acks).toEqual([
      { ok: true },
      { ok: false, error: 'forbidden' },
      { ok: false, error: 'invalid' },
      { ok: true },
      { ok: false, error: 'rate_limited' },
    ]);
  });
});

describe('revocation log retention (callbackTimeoutMs)', () => {
  it('a revocation stays known to a check that is still running when later revocations arrive', async () => {
    const keyPrefix = uniquePrefix('gwa');
    const logger = captureLogger();
    // Small timeout: a revocation is kept 2 × 500 + 1000 ms; the checks below answer well within it.
    const pending: { guildId: string; answer: (ok: boolean) => void }[] = [];
    const node = await startNode({
      keyPrefix,
      logger,
      gateway: {
        callbackTimeoutMs: 500,
        listGuilds: () => [],
        authorize: (_userId, guildId) =>
          new Promise<boolean>((resolve) => {
            pending.push({ guildId, answer: resolve });
          }),
      },
    });
    const handled: string[] = [];
    // Subscribed after the gateway: when this runs, the gateway has recorded the revocation.
    node.sync.subscribe('permission:revoked', (e) => {
      handled.push(`${e.userId}:${e.guildId}`);
    });
    const alice = await connect(node.url, await mintToken({ sub: ALICE }));
    const pub = await startPublisher(keyPrefix);

    // On a loaded machine the 500 ms check may time out (which also answers forbidden and proves
    // nothing): try again until one attempt ran in time.
    let checkedInTime = false;
    for (let attempt = 0; attempt < 5 && !checkedInTime; attempt++) {
      const guildId = `81000000000000010${attempt}`;
      pending.length = 0;
      handled.length = 0;
      logger.clear();
      const ack = alice.emitWithAck('join:guild', guildId);
      await waitFor(() => pending.length === 1, { message: 'authorize to be called' });
      await pub.publishPermissionRevoked({ guildId, userId: ALICE, reason: 'role removed' });
      await waitFor(() => handled.length === 1);
      // A later, unrelated revocation: recording it must not forget the first one yet.
      await pub.publishPermissionRevoked({ guildId: G3, userId: BOB, reason: 'unrelated' });
      await waitFor(() => handled.length === 2);
      pending[0]!.answer(true);
      expect(await ack).toEqual({ ok: false, error: 'forbidden' });
      checkedInTime = !logger.has('authorize timed out');
    }
    expect(checkedInTime).toBe(true);
  });
});
