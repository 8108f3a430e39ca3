import { DEFAULT_DATABASE_TIMEOUTS } from '@wolaro/db';
import { type LogEntry, waitFor } from '@wolaro/test-harness';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEMO, useWorld } from './helpers.js';

// A PATCH on a row another session holds must fail fast with 503 + Retry-After (never hang holding
// a pooled connection), and /api/health must keep answering meanwhile, on its own connection.
const LOCK_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 5000;

describe('panel API: database time limits', () => {
  const w = useWorld('panel_timeouts', {
    databasePoolMax: 4,
    pgTimeouts: {
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      connectTimeoutMs: 1000,
    },
    writeRateLimit: { windowMs: 60_000, perUser: 10_000, perGuild: 10_000 },
  });
  const guild = DEMO.guildId;

  /** Holds the guild's row lock in another session until `release()`. */
  async function lockGuildRow() {
    const client = new pg.Client({ connectionString: w.schema.connectionString });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM guilds WHERE guild_id = $1 FOR UPDATE', [guild]);
    return {
      async release() {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }

  it('has time limits by default', () => {
    expect(DEFAULT_DATABASE_TIMEOUTS).toEqual({
      statementTimeoutMs: 5000,
      lockTimeoutMs: 2000,
      connectTimeoutMs: 5000,
    });
  });

  it('locked row: PATCH answers 503 database_busy with Retry-After within the lock timeout, while /api/health answers', async () => {
    const token = w.adminToken;
    const before = (await w.request('GET', `/api/panel/guilds/${guild}`, { token })).body.version as number;
    const lock = await lockGuildRow();
    try {
      const busy = (code: string) => (e: LogEntry) =>
        e.msg === 'PATCH /api/panel/guilds/' + guild + ': The database is busy: retry shortly' &&
        (e.obj?.['err'] as { code?: unknown } | undefined)?.code === code;
      const lockTimeoutsBefore = w.logger.count(busy('55P03'), 'warn');
      const first = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token,
        body: { settings: { prefix: '?' } },
      });
      // The lock timeout ended the wait (SQLSTATE 55P03), not the statement timeout (57014): the
      // answer came while the lock was still held, from lock_timeout, not from a slow cancel.
      expect(w.logger.count(busy('55P03'), 'warn')).toBe(lockTimeoutsBefore + 1);
      expect(w.logger.count(busy('57014'), 'warn')).toBe(0);
      // More writes than the pool has connections: each gives its connection back on its 503
      // (without the limits they would wait for the lock, which is only released at the end).
      const writes = Array.from({ length: 8 }, (_, i) =>
        w.request('PATCH', `/api/panel/guilds/${guild}`, { token, body: { settings: { prefix: `#${i}` } } }),
      );
      const health = await w.request('GET', '/api/health');
      const answers = [first, ...(await Promise.all(writes))];

      expect([200, 503]).toContain(health.status);
      expect(['healthy', 'degraded']).toContain(health.body.status);
      expect(health.body.database).toBe('connected');
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.body).toEqual({
          error: { code: 'database_busy', message: 'The database is busy: retry shortly' },
        });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    } finally {
      await lock.release();
    }
    // Nothing was written, and the row is writable again at once.
    const after = await w.request('GET', `/api/panel/guilds/${guild}`, { token });
    expect(after.body.version).toBe(before);
    const ok = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
      token,
      body: { settings: { prefix: '!' } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(before + 1);
  });

  it('a module write on a locked row answers 503 the same way (transaction path)', async () => {
    const token = w.adminToken;
    const lock = await lockGuildRow();
    try {
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}/modules/welcome`, {
        token,
        body: { enabled: true },
      });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('database_busy');
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      await lock.release();
    }
  });

  it('health answers from its own connection while every pooled connection is taken', async () => {
    const token = w.adminToken;
    // Take every connection of the API's pool, as long-running requests would.
    const pool = w.api.db.pool;
    const held = await Promise.all(Array.from({ length: pool.options.max ?? 4 }, () => pool.connect()));
    try {
      // Queued: the pool is exhausted.
      const waiting = pool.query('SELECT 1').then(
        () => undefined,
        (err: unknown) => err,
      );
      const health = await w.request('GET', '/api/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'degraded', database: 'connected' });
      // A request that needs a pooled connection gets 503 after the connect timeout, not a hang.
      const res = await w.request('GET', `/api/panel/guilds/${guild}`, { token });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('database_busy');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(String(await waiting)).toMatch(/timeout exceeded when trying to connect/);
    } finally {
      for (const client of held) client.release();
    }
    const health = await w.request('GET', '/api/health');
    expect(health.body).toMatchObject({ status: 'healthy', database: 'connected' });
  });
});

describe('panel API: request deadline', () => {
  const w = useWorld('panel_deadline', {
    // No database limits: only the request deadline stands between the caller and a hang.
    pgTimeouts: { statementTimeoutMs: 0, lockTimeoutMs: 0, connectTimeoutMs: 1000 },
    requestTimeoutMs: 300,
    writeRateLimit: { windowMs: 60_000, perUser: 10_000, perGuild: 10_000 },
  });
  const guild = DEMO.guildId;

  it('a request still waiting at REQUEST_TIMEOUT_MS gets 503 request_timeout with Retry-After; the API goes on serving', async () => {
    const token = w.adminToken;
    const before = (await w.request('GET', `/api/panel/guilds/${guild}`, { token })).body.version as number;
    const client = new pg.Client({ connectionString: w.schema.connectionString });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM guilds WHERE guild_id = $1 FOR UPDATE', [guild]);
      const res = await w.request('PATCH', `/api/panel/guilds/${guild}`, {
        token,
        body: { settings: { prefix: '?' } },
      });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: { code: 'request_timeout', message: 'The server could not answer in time: retry shortly' },
      });
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
    // The write that was waiting goes through once the lock is gone (what the 503 warns of: the
    // outcome is unknown to the caller, who reloads), and the API answers as before.
    await waitFor(
      async () =>
        (await w.request('GET', `/api/panel/guilds/${guild}`, { token })).body.version === before + 1,
      { message: 'the late write committed' },
    );
    const health = await w.request('GET', '/api/health');
    expect(health.status).toBe(200);
  });
});
