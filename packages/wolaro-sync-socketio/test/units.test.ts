import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/gateway/rate_limit.js';
import { HandshakeError, jwtVerifier } from '../src/index.js';
import { originCheck } from '../src/internal/origin.js';
import { RevocationLog } from '../src/internal/revocations.js';
import { SECRET, SECRET_BYTES } from './helpers.js';

const USER = '111111111111111111';
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: unknown) => (err instanceof HandshakeError ? err.code : `other: ${String(err)}`),
  );

describe('jwtVerifier', () => {
  it('maps sub, sid and exp to userId, sessionId and expiresAt (ms)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const token = await new SignJWT({ sid: 'sess_1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .setExpirationTime(exp)
      .sign(SECRET_BYTES);
    await expect(jwtVerifier({ secret: SECRET })(token)).resolves.toEqual({
      userId: USER,
      sessionId: 'sess_1',
      expiresAt: exp * 1000,
    });
  });

  it('checks issuer, audience and the algorithm allow-list', async () => {
    const verify = jwtVerifier({ secret: SECRET, issuer: 'wolaro-panel', audience: 'wolaro-ws' });
    const sign = (alg: string, issuer: string, audience: string) =>
      new SignJWT({})
        .setSubject(USER)
        .setExpirationTime('1h')
        .setProtectedHeader({ alg })
        .setIssuer(issuer)
        .setAudience(audience)
        .sign(SECRET_BYTES);
    const good = await sign('HS256', 'wolaro-panel', 'wolaro-ws');
    const wrongIss = await sign('HS256', 'evil', 'wolaro-ws');
    const wrongAud = await sign('HS256', 'wolaro-panel', 'api');
    const hs512 = await sign('HS512', 'wolaro-panel', 'wolaro-ws');
    expect(await code(verify(good))).toBe('accepted');
    expect(await code(verify(wrongIss))).toBe('unauthorized');
    expect(await code(verify(wrongAud))).toBe('unauthorized');
    expect(await code(verify(hs512))).toBe('unauthorized'); // HS256 only by default
    expect(await code(jwtVerifier({ secret: SECRET, algorithms: ['HS512'] })(hs512))).toBe('accepted');
  });

  it('verifies public-key tokens against a JWK set and refuses an HMAC token forged with the public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const verify = jwtVerifier({ jwks: { keys: [jwk] } });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject(USER)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await code(verify(token))).toBe('accepted');
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject(USER)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect(await code(verify(confused))).toBe('unauthorized');
  });

  it('requires exp unless told otherwise and honours the clock tolerance', async () => {
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .sign(SECRET_BYTES);
    expect(await code(jwtVerifier({ secret: SECRET })(noExp))).toBe('unauthorized');
    await expect(jwtVerifier({ secret: SECRET, requireExpiry: false })(noExp)).resolves.toEqual({
      userId: USER,
    });
    const justExpired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
      .sign(SECRET_BYTES);
    expect(await code(jwtVerifier({ secret: SECRET })(justExpired))).toBe('token_expired');
    expect(await code(jwtVerifier({ secret: SECRET, clockToleranceSeconds: 30 })(justExpired))).toBe(
      'accepted',
    );
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket({ perSecond: 20, burst: 40 }, 0);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (bucket.take(0)) allowed++;
    expect(allowed).toBe(40);
    expect(bucket.take(10)).toBe(false); // 0.2 token after 10 ms
    expect(bucket.take(50)).toBe(true); // 1 token after 50 ms
    let later = 0;
    for (let i = 0; i < 100; i++) if (bucket.take(10_000)) later++;
    expect(later).toBe(40); // refilled up to the burst, not beyond
  });
});

describe('RevocationLog', () => {
  it('tells whether a pair was revoked after a sequence number, and forgets old entries', () => {
    const log = new RevocationLog(1000);
    const before = log.seq;
    log.record('1', '10', 0);
    expect(log.revokedSince('1', '10', before)).toBe(true);
    expect(log.revokedSince('1', '11', before)).toBe(false);
    expect(log.revokedSince('1', '10', log.seq)).toBe(false);
    const afterFirst = log.seq;
    log.record('2', '20', 500);
    log.record('3', '30', 1400); // '1:10' is now older than 1000 ms, '2:20' is not
    expect(log.size).toBe(2);
    // A check taken after the forgotten entry is answered from what is kept …
    expect(log.revokedSince('1', '10', afterFirst)).toBe(false);
    expect(log.revokedSince('2', '20', afterFirst)).toBe(true);
    // … one taken before it ran longer than the log remembers: it counts as revoked, for any pair.
    expect(log.revokedSince('1', '10', before)).toBe(true);
    expect(log.revokedSince('9', '99', before)).toBe(true);
  });
});

describe('originCheck', () => {
  it('normalizes configured and received origins', () => {
    const check = originCheck({ allowedOrigins: ['https://Wolaro.fr/'] });
    expect(check('https://wolaro.fr')).toBe(true);
    expect(check('https://wolaro.fr:443')).toBe(true);
    expect(check('https://wolaro.fr:8443')).toBe(false);
    expect(check('null')).toBe(false);
    expect(check(undefined)).toBe(true);
    expect(originCheck({ allowedOrigins: ['https://wolaro.fr'], requireOrigin: true })(undefined)).toBe(
      false,
    );
    expect(() => originCheck({ allowedOrigins: ['https://wolaro.fr/panel'] })).toThrow(/not an origin/);
  });
});
