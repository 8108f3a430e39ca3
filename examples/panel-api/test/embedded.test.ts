import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upsertGuild, upsertMembers } from '@wolaro/db';
import { MemoryBus } from '@wolaro/sync';
import { OUTBOX_TABLE } from '@wolaro/sync/pg';
import { captureLogger, waitFor } from '@wolaro/test-harness';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession } from '../src/auth/tokens.js';
import { startPanelApi } from '../src/server.js';
import { run } from './process.js';

const SECRET = 'e'.repeat(40);
const GUILD = '123456789012345678';
const ADMIN = '100000000000000002';

describe('embedded mode (no DATABASE_URL, no REDIS_URL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wolaro-panel-'));
  const dataDir = join(dir, 'pgdata');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs on PGlite + the in-process bus: versioned write, push, health, and the data survives a restart', {
    timeout: 60_000,
  }, async () => {
    const bus = new MemoryBus();
    const logger = captureLogger();
    const api = await startPanelApi({ port: 0, dataDir, jwtSecret: SECRET }, { bus, logger });
    try {
      expect(api.db.kind).toBe('pglite');
      expect(api.sync.stats().transport).toBe('memory');
      expect(existsSync(join(dir, 'pglite.json'))).toBe(true);
      await upsertGuild(api.db.pool, { guildId: GUILD, name: 'Embedded', ownerId: '100000000000000001' });
      await upsertMembers(api.db.pool, GUILD, [{ userId: ADMIN, permissions: '8' }]);
      const { token } = await openSession(api.db.pool, SECRET, { userId: ADMIN, ttlSeconds: 600 });

      const socket = io(api.url, { auth: { token }, transports: ['websocket'], reconnection: false });
      await new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(undefined));
        socket.once('connect_error', reject);
      });
      const pushed = new Promise((resolve) => socket.once('config:updated', resolve));
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      // Concurrent requests share the single PGlite connection without interleaving.
      const [patch, ...reads] = await Promise.all([
        fetch(`${api.url}/api/panel/guilds/${GUILD}`, {
          method: 'PATCH',
          headers,
          body: JSON.stringify({ settings: { prefix: '?' }, version: 1 }),
        }),
        ...Array.from({ length: 10 }, () => fetch(`${api.url}/api/panel/guilds/${GUILD}`, { headers })),
      ]);
      expect(patch?.status).toBe(200);
      expect(reads.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(await pushed).toMatchObject({ guildId: GUILD, settings: { prefix: '?' }, version: 2 });
      socket.disconnect();

      const health = await (await fetch(`${api.url}/api/health`)).json();
      expect(health).toMatchObject({ status: 'healthy', redis: 'embedded', database: 'connected' });
      // Its outbox row is marked published (within the mark delay: the PATCH did not wait for it).
      await waitFor(
        async () => {
          const pending = await api.db.pool.query(
            `SELECT count(*)::int AS n FROM ${OUTBOX_TABLE} WHERE published_at IS NULL`,
          );
          return pending.rows[0].n === 0;
        },
        { message: 'no outbox row left unpublished' },
      );
      expect(logger.has('Pub/Sub initialized')).toBe(true);
      expect(logger.has('pglite-socket internals changed')).toBe(false);

      // `npm run token` in another process reaches the embedded database through the running API.
      const cli = await run('npm', ['run', '--silent', 'token', '-w', 'examples/panel-api', '--', ADMIN], {
        env: { DATABASE_URL: undefined, REDIS_URL: undefined, PGLITE_DATA_DIR: dataDir, JWT_SECRET: SECRET },
      });
      expect(cli.code, cli.stderr).toBe(0);
      const cliSocket = io(api.url, {
        auth: { token: cli.stdout.trim() },
        transports: ['websocket'],
        reconnection: false,
      });
      await new Promise((resolve, reject) => {
        cliSocket.once('connect', () => resolve(undefined));
        cliSocket.once('connect_error', reject);
      });
      cliSocket.disconnect();
    } finally {
      await api.close();
    }
    expect(existsSync(join(dir, 'pglite.json'))).toBe(false);

    const again = await startPanelApi(
      { port: 0, dataDir, jwtSecret: SECRET },
      { bus, logger: captureLogger() },
    );
    try {
      const row = await again.db.pool.query('SELECT settings, version FROM guilds WHERE guild_id = $1', [
        GUILD,
      ]);
      expect(row.rows[0].settings.prefix).toBe('?');
      expect(Number(row.rows[0].version)).toBe(2);
    } finally {
      await again.close();
    }
  });
});
