/**
 * `npm run token -w examples/panel-api -- <userId> [--ttl 1h] [--username name]`: creates a panel
 * session for a user and prints its JWT, e.g. to connect a Socket.io client by hand
 * (`io(url, { auth: { token } })`). Uses the same env as the API (`DATABASE_URL`, `JWT_SECRET`);
 * without them, the database and dev secret of the running `npm start` (`.wolaro/` at the
 * repository root, or `PGLITE_DATA_DIR`).
 */
import { parseArgs } from 'node:util';
import { resolveDataDir } from '@wolaro/app-runtime';
import { createDatabase } from '@wolaro/db';
import { openSession } from '../auth/tokens.js';
import { ConfigError, JWT_TTL_RANGE, loadConfig } from '../config.js';
import { withDevJwtSecret } from '../dev_secret.js';
import { parseDuration } from '../duration.js';

const USAGE = 'Usage: npm run token -w examples/panel-api -- <userId> [--ttl 1h] [--username name]';

async function main(): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: { ttl: { type: 'string' }; username: { type: 'string' } };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      options: { ttl: { type: 'string' }, username: { type: 'string' } },
      allowPositionals: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [userId, ...extra] = parsed.positionals;
  if (!userId || extra.length > 0 || !/^\d{1,20}$/.test(userId)) {
    console.error(`${userId ? `Not a Discord user id: ${userId}\n` : ''}${USAGE}`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = withDevJwtSecret(
      loadConfig({ ...process.env, PGLITE_DATA_DIR: resolveDataDir(process.env) }),
    ).config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const ttlSeconds =
    parsed.values.ttl === undefined ? config.jwtTtlSeconds : parseDuration(parsed.values.ttl);
  if (ttlSeconds === undefined || ttlSeconds < 1) {
    console.error(`--ttl: not a duration: ${parsed.values.ttl} (e.g. 30m, 1h, 7d)\n${USAGE}`);
    return 2;
  }
  if (ttlSeconds > JWT_TTL_RANGE.max) {
    console.error(
      `--ttl: ${parsed.values.ttl} is longer than the longest session JWT_TTL allows (90d): a token lives at most 90 days\n${USAGE}`,
    );
    return 2;
  }
  const db = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { token, session } = await openSession(db.pool, config.jwtSecret, {
      userId,
      username: parsed.values.username,
      ttlSeconds,
    });
    console.error(
      `Session ${session.sessionId} for user ${userId}, expires ${session.expiresAt.toISOString()}`,
    );
    console.log(token);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`token: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
