import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ClosedError,
  defineChannels,
  InvalidPayloadError,
  MemoryBus,
  MemoryTransport,
  NotConnectedError,
  RedisTransport,
  SyncClient,
  snowflake,
  UnknownChannelError,
} from '../src/index.js';
import { closeAfterEach } from './closing.js';

const track = closeAfterEach();

describe('SyncClient', () => {
  it('logs "Redis Pub/Sub initialized" on connect and "Published ..." at debug', async () => {
    const logger = captureLogger();
    const sync = track(new SyncClient({ redis: redisUrl(), keyPrefix: uniquePrefix(), logger }));
    await sync.connect();
    expect(logger.has('Redis Pub/Sub initialized')).toBe(true);
    await sync.publishConfigUpdate('123', { prefix: '!' }, 1);
    expect(logger.has('Published config:update for guild 123')).toBe(true);
  });

  it('refuses to publish before connect and after close', async () => {
    const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
    await expect(sync.publishGuildReload('1')).rejects.toBeInstanceOf(NotConnectedError);
    await sync.connect();
    await sync.close();
    await expect(sync.publishGuildReload('1')).rejects.toBeInstanceOf(ClosedError);
    await expect(sync.connect()).rejects.toBeInstanceOf(ClosedError);
  });

  it('validates outgoing payloads and names the bad field', async () => {
    const sync = track(new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) }));
    await sync.connect();
    const err = await sync
      .publish('config:update', { guildId: 'abc', settings: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidPayloadError);
    expect((err as InvalidPayloadError).issues[0]).toMatch(/^guildId:/);
    await expect(sync.publish('nope' as 'guild:reload', { guildId: '1' })).rejects.toBeInstanceOf(
      UnknownChannelError,
    );
    await expect(sync.publishConfigUpdate('1', { blob: 'x'.repeat(300 * 1024) })).rejects.toBeInstanceOf(
      InvalidPayloadError,
    );
  });

  it('carries custom typed channels from defineChannels', async () => {
    const channels = defineChannels({
      'ticket:created': { schema: z.object({ guildId: snowflake, ticketId: z.string() }) },
    });
    const bus = new MemoryBus();
    const a = track(new SyncClient({ transport: new MemoryTransport({ bus }), channels }));
    const b = track(new SyncClient({ transport: new MemoryTransport({ bus }), channels }));
    await Promise.all([a.connect(), b.connect()]);
    const got: string[] = [];
    b.subscribe('ticket:created', (e) => {
      got.push(e.ticketId);
    });
    await a.publish('ticket:created', { guildId: '1', ticketId: 't-1' });
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['t-1']);
    expect(a.channels['ticket:created']?.socketEvent).toBe('ticket:created');
    expect(
      () =>
        new SyncClient({
          transport: 'memory',
          channels: defineChannels({ 'config:update': { schema: z.object({}) } }),
        }),
    ).toThrow(/built in/);
  });

  it('listen: false subscribes to nothing; a list subscribes to those only', async () => {
    const prefix = uniquePrefix();
    const publisher = track(new SyncClient({ redis: redisUrl(), keyPrefix: prefix, listen: false }));
    const some = track(new SyncClient({ redis: redisUrl(), keyPrefix: prefix, listen: ['guild:reload'] }));
    await Promise.all([publisher.connect(), some.connect()]);
    await publisher.publishConfigUpdate('1', {});
    await publisher.publishGuildReload('1');
    await waitFor(() => some.stats().received === 1);
    await publisher.publishGuildReload('1');
    await waitFor(() => some.stats().received === 2);
    expect(publisher.stats().received).toBe(0);
    expect(() => new SyncClient({ transport: 'memory', listen: ['nope'] })).toThrow(UnknownChannelError);
  });

  it('uses an injected ioredis client without closing it', async () => {
    const redis = new Redis(redisUrl());
    try {
      const sync = new SyncClient({ redis, keyPrefix: uniquePrefix() });
      await sync.connect();
      await sync.publishGuildReload('1');
      await sync.close();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('connect() gives up after connectTimeoutMs when Redis is unreachable', async () => {
    const sync = new SyncClient({
      transport: new RedisTransport({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 300 }),
    });
    // Its own timeout, not a default one, ends the wait.
    await expect(sync.connect()).rejects.toThrow(/not ready after 300 ms/);
    expect(sync.connected).toBe(false);
    await sync.close();
  });

  it('publish helpers take one object (the positional forms still work)', async () => {
    const bus = new MemoryBus();
    const sync = track(new SyncClient({ transport: new MemoryTransport({ bus }) }));
    await sync.connect();
    const seen: unknown[] = [];
    sync.subscribe(
      'command:executed',
      (e) => void seen.push([e.command, e.executorId, e.result, e.executor]),
    );
    sync.subscribe('config:update', (e) => void seen.push([e.guildId, e.settings, e.version]));
    await sync.publishCommandExecuted({
      guildId: '123',
      command: 'ban',
      executorId: '456',
      result: 'success',
      executor: 'theo',
    });
    await sync.publishCommandExecuted('123', 'kick', '456', 'denied');
    await sync.publishConfigUpdate({ guildId: '123', settings: { prefix: '?' }, version: 3 });
    await sync.publishConfigUpdate('123', { prefix: '!' });
    await expect(sync.publishGuildReload({ guildId: 'nope' })).rejects.toBeInstanceOf(InvalidPayloadError);
    await waitFor(() => seen.length === 4);
    expect(seen).toEqual([
      ['ban', '456', 'success', 'theo'],
      ['kick', '456', 'denied', undefined],
      ['123', { prefix: '?' }, 3],
      ['123', { prefix: '!' }, undefined],
    ]);
  });
});
