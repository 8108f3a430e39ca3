import { performance } from 'node:perf_hooks';
import { updateGuildSettings } from '@wolaro/db';
import { FailoverTransport, RedisTransport, SyncClient } from '@wolaro/sync';
import { PgNotifyTransport } from '@wolaro/sync/pg';
import {
  postgresKind,
  type RedisServerHandle,
  startRedisServer,
  uniquePrefix,
  waitFor,
} from '@wolaro/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Harness, hasReply, postMessage, replyTo, startHarness, testConfig } from './harness.js';

const guildId = DEMO.guildId;
const DOWN = 'Redis down, using memory cache';

describe('reference bot while its Redis is down', () => {
  const keyPrefix = uniquePrefix('down');
  let redis: RedisServerHandle;
  let h: Harness;

  beforeAll(async () => {
    redis = await startRedisServer();
    h = await startHarness('bot_down', testConfig(redis.url, keyPrefix, { redisHealthCheckMs: 1000 }));
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  it('keeps answering from its caches, then converges on what changed in the database once Redis is back', async () => {
    const prefixOf = () => h.bot.configs.peek(guildId)?.settings['prefix'];
    expect((await replyTo(h.emulator, await postMessage(h.emulator, '!ping'))).content).toMatch(/^Pong!/);

    await redis.kill();
    await waitFor(() => h.logger.has(DOWN, 'warn'), { message: DOWN });

    const started = performance.now();
    const reply = await replyTo(h.emulator, await postMessage(h.emulator, '!ping'));
    expect(reply.content).toMatch(/^Pong!/);
    console.log(`!ping answered in ${(performance.now() - started).toFixed(1)} ms with Redis down`);

    if (postgresKind() === 'server') {
      // The bus is FailoverTransport([Redis, Postgres NOTIFY]): a change the API publishes now still
      // reaches the bot in real time, through Postgres.
      const api = new SyncClient({
        transport: new FailoverTransport([
          new RedisTransport({ redis: redis.url, connectTimeoutMs: 200 }),
          new PgNotifyTransport({ pool: h.db.pool }),
        ]),
        keyPrefix,
      });
      await api.connect();
      try {
        await updateGuildSettings(
          h.db.pool,
          { sync: api },
          { guildId, patch: { prefix: '%' }, changedBy: null },
        );
        await waitFor(() => prefixOf() === '%', { timeoutMs: 3000, message: 'the push through Postgres' });
        expect((await replyTo(h.emulator, await postMessage(h.emulator, '%ping'))).content).toMatch(/^Pong!/);
      } finally {
        await api.close();
      }
    }

    // A change written to the database with no event at all (the note: "Panel changes saved to DB").
    await h.db.pool.query(
      `UPDATE guilds SET settings = settings || '{"prefix":"$"}'::jsonb, version = version + 1 WHERE guild_id = $1`,
      [guildId],
    );
    const current = String(prefixOf());
    expect(current).not.toBe('$');
    const ignored = await postMessage(h.emulator, '$ping');
    await replyTo(h.emulator, await postMessage(h.emulator, `${current}ping`));
    expect(await hasReply(h.emulator, ignored)).toBe(false);

    const restarted = performance.now();
    await redis.restart();
    await waitFor(() => prefixOf() === '$', { timeoutMs: 8000, message: 'the resync after Redis came back' });
    console.log(
      `converged ${(performance.now() - restarted).toFixed(0)} ms after redis-server was restarted`,
    );
    expect((await replyTo(h.emulator, await postMessage(h.emulator, '$ping'))).content).toMatch(/^Pong!/);
    await waitFor(() => h.logger.has('Redis reconnected', 'info'), { message: 'Redis reconnected' });
    expect(h.logger.count(DOWN)).toBe(1);
  });
});
