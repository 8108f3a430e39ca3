/**
 * `npm run token -w examples/panel-api -- <userId> --ttl <duration>` mints panel sessions by hand; it
 * refuses a lifetime longer than the longest `JWT_TTL` (90 days).
 */
import { join } from 'node:path';
import { runMigrations } from '@wolaro/db';
import { createTestSchema, type TestSchema } from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run } from '../../examples/panel-api/test/process.js';

const TSX = join(ROOT, 'node_modules/.bin/tsx');
const SECRET = 'token-cli-tests-secret-0123456789abcdefghijklmn';
const USER = '700000000000000042';

describe('npm run token --ttl', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('sec_token');
    await runMigrations(schema.pool);
  });
  afterAll(() => schema?.drop());

  const token = (ttl: string) =>
    run(TSX, ['examples/panel-api/src/cli/token.ts', USER, '--ttl', ttl], {
      env: {
        DATABASE_URL: schema.connectionString,
        JWT_SECRET: SECRET,
        NODE_ENV: 'development',
        REDIS_URL: undefined,
      },
      timeoutMs: 60_000,
    });

  it('refuses a TTL above the longest JWT_TTL (90d), with a clear message and no session', async () => {
    for (const ttl of ['91d', '7776001']) {
      const result = await token(ttl);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        `--ttl: ${ttl} is longer than the longest session JWT_TTL allows (90d)`,
      );
      expect(result.stdout).toBe('');
    }
    const { rows } = await schema.pool.query(
      'SELECT count(*)::int AS n FROM panel_sessions WHERE user_id = $1',
      [USER],
    );
    expect(rows[0].n).toBe(0);
  }, 120_000);

  it('accepts exactly 90d', async () => {
    const result = await token('90d');
    expect(result.code, result.stderr).toBe(0);
    const claims = JSON.parse(Buffer.from(result.stdout.trim().split('.')[1] ?? '', 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(90 * 86_400);
  }, 60_000);
});
