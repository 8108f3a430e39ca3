import { expect, it } from 'vitest';

it('@wolaro/sync-socketio exports only its documented API', async () => {
  const names = Object.keys(await import('../src/index.js')).sort();
  expect(names).toEqual(
    [
      'DefaultAttachSyncOptions',
      'DefaultConnectionRateLimitOptions',
      'DefaultJwtVerifierOptions',
      'DefaultRateLimitOptions',
      'HandshakeError',
      'attachSync',
      'jwtVerifier',
      'rooms',
    ].sort(),
  );
});
