import { randomUUID } from 'node:crypto';
import {
  captureLogger,
  createTestSchema,
  databaseUrl,
  redisUrl,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FailoverTransport,
  type GuildConfig,
  GuildConfigCache,
  type InvalidMessage,
  InvalidOptionsError,
  RedisFallbackManager,
  RedisTransport,
  SyncClient,
  type SyncClientOptions,
  type Transport,
} from '../src/index.js';
import { migrate, PgNotifyTransport, versionedUpdate } from '../src/pg/index.js';
import { collectGarbage } from './cache/helpers.js';

// The bus as an attacker sees it: anyone who can PUBLISH on the Redis or NOTIFY on the database.

const KEY_A = 'a-signing-key-of-at-least-32-characters-0001';
const KEY_B = 'b-signing-key-of-at-least-32-characters-0002';
const GUILD = '123456789012345678';
const MAX = Number.MAX_SAFE_INTEGER;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

type Kind = 'redis' | 'pg' | 'failover';

function transportOf(
  kind: Kind,
  options: ConstructorParameters<typeof PgNotifyTransport>[0] = {},
): Transport {
  const pgT = () => new PgNotifyTransport({ connectionString: databaseUrl(), ...options });
  if (kind === 'redis') return new RedisTransport({ redis: redisUrl() });
  if (kind === 'pg') return pgT();
  return new FailoverTransport([new RedisTransport({ redis: redisUrl() }), pgT()]);
}

async function client(kind: Kind, options: Partial<SyncClientOptions> & { keyPrefix: string }) {
  const sync = new SyncClient({ transport: transportOf(kind), ...options });
  cleanup.push(() => sync.close());
  await sync.connect();
  return sync;
}

/** Sends raw text on a wire channel, as `redis-cli PUBLISH` or `psql -c NOTIFY` would. */
async function forge(kind: 'redis' | 'pg', wireChannel: string, raw: string | readonly string[]) {
  const messages = typeof raw === 'string' ? [raw] : raw;
  if (kind === 'redis') {
    const redis = new Redis(redisUrl());
    try {
      for (const m of messages) await redis.publish(wireChannel, m);
    } finally {
      redis.disconnect();
    }
    return;
  }
  const c = new pg.Client({ connectionString: databaseUrl() });
  await c.connect();
  try {
    await c.query('SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m', [wireChannel, messages]);
  } finally {
    await c.end();
  }
}

/** Collects guild:reload reasons; resolves once `sentinel` arrived (everything sent before it has too). */
function reloads(sync: SyncClient) {
  const got: string[] = [];
  const invalid: InvalidMessage[] = [];
  sync.subscribe('guild:reload', (e) => {
    got.push(e.reason ?? '');
  });
  sync.on('invalid', (m) => invalid.push(m));
  return {
    got,
    invalid,
    until: (sentinel: string) => waitFor(() => got.includes(sentinel), { timeoutMs: 10_000 }),
  };
}

describe('signed bus', () => {
  it.each(['redis', 'pg'] as const)(
    'drops unsigned and badly signed messages on %s, counts them as invalid',
    async (kind) => {
      const keyPrefix = uniquePrefix('sig');
      const pub = await client(kind, { keyPrefix, signingKey: KEY_A, listen: false });
      const sub = await client(kind, { keyPrefix, signingKey: KEY_A, listen: ['guild:reload'] });
      const seen = reloads(sub);
      const channel = `${keyPrefix}guild:reload`;
      // A signature made with another key, on a well-formed message.
      const wrongKey = await client(kind, { keyPrefix, signingKey: KEY_B, listen: false });
      await wrongKey.publishGuildReload({ guildId: GUILD, reason: 'wrong key' });
      await forge(kind, channel, [
        JSON.stringify({ guildId: GUILD, reason: 'unsigned' }),
        `{"guildId":"${GUILD}","reason":"fake mac","_wsig":"v1.${'A'.repeat(43)}"}`,
        `{"guildId":"${GUILD}","reason":"short mac","_wsig":"v1.${'A'.repeat(42)}="}`,
      ]);
      await pub.publishGuildReload({ guildId: GUILD, reason: 'sentinel' });
      await seen.until('sentinel');
      expect(seen.got, 'only the correctly signed message may be delivered').toEqual(['sentinel']);
      expect(sub.stats().invalid).toBe(4);
      expect(seen.invalid.map((m) => m.reason).sort()).toEqual([
        'bad signature',
        'bad signature',
        'bad signature',
        'unsigned message (a signing key is set)',
      ]);
    },
  );

  it.each(['redis', 'pg', 'failover'] as const)(
    'a signed round trip works over %s, large NOTIFY-chunked messages included',
    async (kind) => {
      const keyPrefix = uniquePrefix('sig');
      const pub = await client(kind, { keyPrefix, signingKey: KEY_A, listen: false });
      const sub = await client(kind, { keyPrefix, signingKey: KEY_A, listen: ['config:update'] });
      const got: Record<string, unknown>[] = [];
      sub.subscribe('config:update', (e) => {
        got.push(e);
      });
      const big = { motd: 'é🎉x'.repeat(5000) };
      await pub.publishConfigUpdate({ guildId: GUILD, settings: { prefix: '?' }, version: 1 });
      await pub.publishConfigUpdate({ guildId: GUILD, settings: big, version: 2 });
      await waitFor(() => got.length === 2, { timeoutMs: 10_000 });
      expect(got[0]).toMatchObject({ guildId: GUILD, settings: { prefix: '?' }, version: 1 });
      expect(got[1]?.['settings']).toEqual(big);
      expect(got[0], 'the signature is not part of the payload').not.toHaveProperty('_wsig');
      expect(sub.stats().invalid).toBe(0);
    },
  );

  it('rotation: a key listed in `accept` is accepted, a key no longer listed is not', async () => {
    const keyPrefix = uniquePrefix('rot');
    const oldKey = await client('redis', { keyPrefix, signingKey: KEY_A, listen: false });
    const newKey = await client('redis', { keyPrefix, signingKey: KEY_B, listen: false });
    const during = await client('redis', {
      keyPrefix,
      signingKey: { current: KEY_B, accept: [KEY_A] },
      listen: ['guild:reload'],
    });
    const after = await client('redis', { keyPrefix, signingKey: KEY_B, listen: ['guild:reload'] });
    const seenDuring = reloads(during);
    const seenAfter = reloads(after);
    await oldKey.publishGuildReload({ guildId: GUILD, reason: 'old key' });
    await newKey.publishGuildReload({ guildId: GUILD, reason: 'sentinel' });
    await Promise.all([seenDuring.until('sentinel'), seenAfter.until('sentinel')]);
    expect(seenDuring.got).toEqual(['old key', 'sentinel']);
    expect(seenAfter.got, 'the old key was dropped from the list: its messages must be refused').toEqual([
      'sentinel',
    ]);
    expect(after.stats().invalid).toBe(1);
  });

  it('a signature is bound to its channel: a signed message replayed on another channel is dropped', async () => {
    const keyPrefix = uniquePrefix('replay');
    const pub = await client('redis', { keyPrefix, signingKey: KEY_A, listen: false });
    const sub = await client('redis', { keyPrefix, signingKey: KEY_A, listen: ['guild:reload'] });
    const seen = reloads(sub);
    const spy = new Redis(redisUrl());
    cleanup.push(() => spy.disconnect());
    const captured: string[] = [];
    spy.on('message', (_c: string, m: string) => captured.push(m));
    await spy.subscribe(`${keyPrefix}permission:revoked`);
    await pub.publishPermissionRevoked({ guildId: GUILD, userId: '42', reason: 'reload' });
    await waitFor(() => captured.length === 1);
    // Same guildId and a `reason` field: it would parse as a guild:reload if the signature allowed it.
    await forge('redis', `${keyPrefix}guild:reload`, captured[0]!);
    await pub.publishGuildReload({ guildId: GUILD, reason: 'sentinel' });
    await seen.until('sentinel');
    expect(seen.got).toEqual(['sentinel']);
    expect(seen.invalid.map((m) => m.reason)).toEqual(['bad signature']);
  });

  it('a process without a key still reads signed messages (rolling out a key node by node)', async () => {
    const keyPrefix = uniquePrefix('rollout');
    const pub = await client('redis', { keyPrefix, signingKey: KEY_A, listen: false });
    const plain = await client('redis', { keyPrefix, listen: ['guild:reload'] });
    const seen = reloads(plain);
    await pub.publishGuildReload({ guildId: GUILD, reason: 'sentinel' });
    await seen.until('sentinel');
    expect(plain.stats().invalid).toBe(0);
  });

  it('refuses a short key or a malformed key set at construction', () => {
    expect(() => new SyncClient({ transport: 'memory', signingKey: 'short' })).toThrow(InvalidOptionsError);
    expect(
      () =>
        new SyncClient({ transport: 'memory', signingKey: { current: KEY_A, accept: ['short'] } as never }),
    ).toThrow(/signingKey/);
  });
});

interface GuildRow {
  guild_id: string;
  settings: Record<string, unknown>;
  version: number;
}

/** A bot-like reader: a GuildConfigCache over a real guilds table, fed by the bus of `kind`. */
async function botWorld(kind: 'redis' | 'failover') {
  const db = await createTestSchema('forged_floor');
  cleanup.push(() => db.drop());
  await migrate(db.pool);
  await db.pool.query(`CREATE TABLE guilds (
    guild_id text PRIMARY KEY, settings jsonb NOT NULL DEFAULT '{}', version integer NOT NULL DEFAULT 0)`);
  await db.pool.query('INSERT INTO guilds (guild_id, settings) VALUES ($1, $2)', [GUILD, { prefix: '!' }]);
  const keyPrefix = uniquePrefix('floor');
  const logger = captureLogger();
  const sync = new SyncClient({ transport: transportOf(kind), keyPrefix, logger });
  cleanup.push(() => sync.close());
  const cache = new RedisFallbackManager({ redis: redisUrl(), keyPrefix });
  cleanup.push(() => cache.close());
  const configs = new GuildConfigCache({
    sync,
    cache,
    logger,
    load: async (id): Promise<GuildConfig | null> => {
      const { rows } = await db.pool.query<GuildRow>('SELECT * FROM guilds WHERE guild_id = $1', [id]);
      const row = rows[0];
      return row ? { settings: row.settings, modules: {}, version: row.version } : null;
    },
  });
  await configs.start();
  cleanup.push(() => configs.close());
  await sync.connect();
  const api = await client('redis', { keyPrefix, listen: false });
  return { db, keyPrefix, logger, configs, api };
}

describe('a forged version never makes a guild unloadable', () => {
  it.each([
    ['redis PUBLISH', 'redis', 'redis'],
    ['Postgres NOTIFY', 'failover', 'pg'],
  ] as const)('forged config:update with version 2^53-1 via %s', async (_name, kind, via) => {
    const w = await botWorld(kind);
    expect((await w.configs.get(GUILD))?.settings).toEqual({ prefix: '!' });
    await forge(
      via,
      `${w.keyPrefix}config:update`,
      JSON.stringify({ guildId: GUILD, settings: {}, version: MAX }),
    );
    await waitFor(() => w.configs.floor(GUILD) === MAX, { timeoutMs: 10_000 });

    const loaded = await w.configs.get(GUILD);
    expect(loaded, 'the guild must load from the database, not throw').toMatchObject({
      settings: { prefix: '!' },
      version: 0,
    });
    expect(
      w.logger.has(
        /Suspect event for guild 123456789012345678: it announced version 9007199254740991/,
        'warn',
      ),
    ).toBe(true);

    // A real change afterwards still reaches the cache.
    await versionedUpdate(w.db.pool, w.api, {
      table: 'guilds',
      idColumn: 'guild_id',
      id: GUILD,
      set: { settings: JSON.stringify({ prefix: '?' }) },
      expectedVersion: 0,
      event: (row: GuildRow) => ({
        channel: 'config:update',
        payload: { guildId: row.guild_id, settings: row.settings },
      }),
    });
    await waitFor(() => w.configs.peek(GUILD)?.version === 1, { timeoutMs: 10_000 });
    expect((await w.configs.get(GUILD))?.settings).toEqual({ prefix: '?' });
  });
});

describe('NOTIFY chunk reassembly is bounded', () => {
  async function listener(options: ConstructorParameters<typeof PgNotifyTransport>[0] = {}) {
    const keyPrefix = uniquePrefix('chunks');
    const transport = new PgNotifyTransport({ connectionString: databaseUrl(), ...options });
    const sub = new SyncClient({ transport, keyPrefix, listen: ['guild:reload', 'config:update'] });
    cleanup.push(() => sub.close());
    await sub.connect();
    const pub = await client('pg', { keyPrefix, listen: false });
    return { transport, sub, pub, channel: `${keyPrefix}guild:reload`, seen: reloads(sub) };
  }

  it('5,000 forged chunk headers grow the listener heap by less than 20 MB', async () => {
    const l = await listener();
    const forged = Array.from({ length: 5000 }, () => `~wsc1:${randomUUID()}:0:10000:x`);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    await forge('pg', l.channel, forged);
    await l.pub.publishGuildReload({ guildId: GUILD, reason: 'sentinel' });
    await l.seen.until('sentinel');
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    const stats = l.transport.stats();
    console.log(
      `5,000 forged chunk headers: heap +${(grown / 1024 / 1024).toFixed(1)} MB, pending ${stats.pendingMessages} messages / ${stats.pendingBytes} bytes`,
    );
    expect(grown, `heap grew by ${grown} bytes`).toBeLessThan(20 * 1024 * 1024);
    expect(stats.pendingMessages).toBe(64);
    expect(stats.droppedMessages).toBe(5000 - 64);
    expect(l.sub.stats().invalid, 'every evicted message is counted as invalid').toBe(5000 - 64);
    expect(l.seen.invalid[0]?.reason).toMatch(/evicted: over maxPendingMessages \(64\)/);
  });

  it('bounds the bytes held, and a legitimate large message still gets through', async () => {
    const l = await listener({ maxPendingMessages: 10_000, maxPendingBytes: 100_000 });
    const forged = Array.from({ length: 100 }, () => `~wsc1:${randomUUID()}:0:2:${'y'.repeat(7000)}`);
    await forge('pg', l.channel, forged);
    await l.pub.publishGuildReload({ guildId: GUILD, reason: 'sentinel' });
    await l.seen.until('sentinel');
    expect(l.transport.stats().pendingBytes).toBeLessThanOrEqual(100_000);
    expect(l.transport.stats().droppedMessages).toBeGreaterThanOrEqual(100 - Math.floor(100_000 / 7000));
    // A real message of 60 KB (8 chunks) still arrives whole.
    const got: unknown[] = [];
    l.sub.subscribe('config:update', (e) => {
      got.push(e.settings);
    });
    const big = { motd: 'w'.repeat(60_000) };
    await l.pub.publishConfigUpdate({ guildId: GUILD, settings: big, version: 1 });
    await waitFor(() => got.length === 1, { timeoutMs: 10_000 });
    expect(got[0]).toEqual(big);
  });

  it('drops a message whose chunks stop arriving after chunkTimeoutMs', async () => {
    const l = await listener({ chunkTimeoutMs: 200 });
    await forge('pg', l.channel, `~wsc1:${randomUUID()}:0:3:partial`);
    await waitFor(() => l.sub.stats().invalid === 1, { timeoutMs: 10_000 });
    expect(l.transport.stats()).toMatchObject({ pendingMessages: 0, pendingBytes: 0, droppedMessages: 1 });
    expect(l.seen.invalid[0]?.reason).toMatch(/incomplete after 200 ms: 1 of 3 chunks/);
  });
});
