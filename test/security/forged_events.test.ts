/**
 * Forged events against the reference bot, run as deployed (panel API and bot as separate
 * processes, NODE_ENV=production, a signed bus): someone who can PUBLISH on Redis or NOTIFY on the
 * database sends a config:update announcing version 2^53-1.
 */
import { DEMO } from '@wolaro/discord-emulator';
import { SyncClient, type Transport } from '@wolaro/sync';
import { PgNotifyTransport } from '@wolaro/sync/pg';
import { databaseUrl, postUntilReplied, useSystem } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { api, guildVersion } from '../system/clients.js';

const GUILD = DEMO.guildId;
const MAX = Number.MAX_SAFE_INTEGER;
const sys = useSystem({ redis: 'shared', label: 'forged' });

/** Sets the guild's prefix through the panel API and waits until the bot answers with it. */
async function setPrefix(prefix: string): Promise<void> {
  const token = await sys().tokenFor(DEMO.users.admin2);
  const version = await guildVersion(sys().api.url, token);
  const res = await api(sys().api.url, 'PATCH', `/api/panel/guilds/${GUILD}`, {
    token,
    body: { settings: { prefix }, version },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect((await postUntilReplied(sys().emulator.control, `${prefix}ping`, 15_000)).reply.content).toMatch(
    /^Pong!/,
  );
}

async function forgeUnsigned(via: 'redis' | 'notify', raw: string): Promise<void> {
  const channel = `${sys().keyPrefix}config:update`;
  if (via === 'redis') {
    const redis = new Redis(sys().redisUrl);
    await redis.publish(channel, raw).finally(() => redis.disconnect());
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  await client.query('SELECT pg_notify($1, $2)', [channel, raw]).finally(() => client.end());
}

/** A publisher holding the apps' key (a leaked key, or a buggy service), on Redis or NOTIFY. */
async function keyHolder(via: 'redis' | 'notify'): Promise<SyncClient> {
  const transport: Transport | undefined =
    via === 'notify' ? new PgNotifyTransport({ connectionString: databaseUrl() }) : undefined;
  const sync = new SyncClient({
    ...(transport ? { transport } : { redis: sys().redisUrl }),
    keyPrefix: sys().keyPrefix,
    signingKey: sys().env['SYNC_SIGNING_KEY']!,
    listen: false,
  });
  await sync.connect();
  return sync;
}

describe('forged config:update with a huge version', () => {
  it.each(['redis', 'notify'] as const)(
    'via %s: unsigned it is dropped; signed, the bot still loads the guild and a later PATCH still reaches it',
    async (via) => {
      const before = via === 'redis' ? '?' : '$';
      const after = via === 'redis' ? '+' : '%';
      await setPrefix(before);
      // A different huge version each time: the warning comes once per guild and announced version.
      const huge = via === 'redis' ? MAX : MAX - 1;
      const forged = JSON.stringify({ guildId: GUILD, settings: { prefix: '!' }, version: huge });

      // 1. Unsigned: the bot drops it and says why.
      let mark = sys().bot.logs.mark;
      await forgeUnsigned(via, forged);
      await sys().bot.logs.waitFor(
        'Dropped invalid message on config:update: unsigned message (a signing key is set)',
        { from: mark, level: 'warn' },
      );

      // 2. Signed with the apps' key: the bot's version floor jumps to 2^53-1, yet the database
      // stays the truth: the guild still loads (the bot answers with the real prefix, not the
      // default it falls back to when a guild cannot be loaded).
      mark = sys().bot.logs.mark;
      const insider = await keyHolder(via);
      try {
        await insider.publishConfigUpdate({ guildId: GUILD, settings: { prefix: '!' }, version: huge });
      } finally {
        await insider.close();
      }
      await sys().bot.logs.waitFor(`Config update received for guild ${GUILD}`, { from: mark });
      expect((await postUntilReplied(sys().emulator.control, `${before}ping`, 15_000)).reply.content).toMatch(
        /^Pong!/,
      );
      await sys().bot.logs.waitFor(
        new RegExp(`^Suspect event for guild ${GUILD}: it announced version ${huge}`),
        {
          from: mark,
          level: 'warn',
        },
      );

      // 3. A real change afterwards still reaches the bot.
      await setPrefix(after);
    },
    90_000,
  );
});
