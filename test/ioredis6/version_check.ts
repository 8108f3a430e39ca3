import { Redis } from 'ioredis';
import { expect, it } from 'vitest';

// Fails if the alias did not apply, so the ioredis 6 leg cannot silently run on ioredis 5.
it('this run resolves ioredis to 6.x', async () => {
  const { createRequire } = await import('node:module');
  const version = createRequire(import.meta.url)('ioredis6/package.json').version as string;
  expect(version).toMatch(/^6\./);
  const redis = new Redis({ lazyConnect: true });
  expect(redis).toBeInstanceOf((await import('ioredis6')).Redis);
  redis.disconnect();
});
