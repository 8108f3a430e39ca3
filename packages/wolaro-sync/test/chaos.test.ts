import { databaseUrl, startRedisServer, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailoverTransport, PublishFailedError, RedisTransport, SyncClient } from '../src/index.js';
import { PgNotifyTransport } from '../src/pg/index.js';

type Server = Awaited<ReturnType<typeof startRedisServer>>;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function privateRedis(): Promise<Server> {
  const server = await startRedisServer();
  cleanup.push(() => server.stop());
  return server;
}

/**
 * Sentinel for a failover pair: publishes a marker event (version `version`) on EVERY member of `pub`
 * and waits until EVERY member of `sub` delivered it. Each transport is FIFO, so whatever either
 * transport was still carrying for the channel has arrived by then.
 */
async function drainBoth(pub: SyncClient, sub: SyncClient, guildId: string, version: number): Promise<void> {
  // Capture the wire form of one event without sending it, then send it on each member directly.
  let wire: { channel: string; raw: string } | undefined;
  vi.spyOn(pub.transport, 'publish').mockImplementationOnce(async (channel, raw) => {
    wire = { channel, raw };
  });
  const { eventId } = await pub.publishConfigUpdate(guildId, { sentinel: version }, version);
  if (!wire || eventId === undefined) throw new Error('the sentinel was not captured');
  const seen = new Set<number>();
  const subMembers = (sub.transport as FailoverTransport).members;
  const offs = subMembers.map((member, i) => {
    const onMessage = (_channel: string, raw: string): void => {
      if (raw.includes(eventId)) seen.add(i);
    };
    member.on('message', onMessage);
    return () => member.off('message', onMessage);
  });
  try {
    for (const member of (pub.transport as FailoverTransport).members)
      await member.publish(wire.channel, wire.raw);
    await waitFor(() => seen.size === subMembers.length, {
      timeoutMs: 10_000,
      message: `sentinel ${version} delivered by every transport`,
    });
  } finally {
    for (const off of offs) off();
  }
}

function client(transport: ConstructorParameters<typeof SyncClient>[0]): SyncClient {
  const c = new SyncClient(transport);
  cleanup.push(() => c.close());
  return c;
}

/**
 * A subscriber and a publisher, each on FailoverTransport([Redis, Postgres]) over a private Redis
 * (publish timeout 300 ms, heartbeat `heartbeatIntervalMs`), and the versions the subscriber got.
 */
async function failoverPair(heartbeatIntervalMs: number) {
  const server = await privateRedis();
  const keyPrefix = uniquePrefix();
  const make = () =>
    new FailoverTransport([
      new RedisTransport({ redis: server.url, heartbeatIntervalMs, commandTimeoutMs: 300 }),
      new PgNotifyTransport({ connectionString: databaseUrl() }),
    ]);
  const sub = client({ transport: make(), keyPrefix });
  const pub = client({ transport: make(), keyPrefix });
  await Promise.all([sub.connect(), pub.connect()]);
  const got: number[] = [];
  sub.subscribe('config:update', (e) => {
    got.push(e.version ?? -1);
  });
  return { server, sub, pub, got };
}

describe('Redis outage', () => {
  it('reconnects after SIGKILL + restart, resubscribes, emits resync and receives new messages', async () => {
    const server = await privateRedis();
    const keyPrefix = uniquePrefix();
    const sub = client({
      transport: new RedisTransport({ redis: server.url, heartbeatIntervalMs: 200 }),
      keyPrefix,
    });
    const pub = client({ redis: server.url, keyPrefix });
    await Promise.all([sub.connect(), pub.connect()]);
    const got: string[] = [];
    sub.subscribe('guild:reload', (e) => {
      got.push(e.reason ?? '');
    });
    const resyncs: number[] = [];
    const disconnects: string[] = [];
    sub.on('resync', ({ downtimeMs }) => resyncs.push(downtimeMs));
    sub.on('disconnected', ({ transport }) => disconnects.push(transport));

    await pub.publishGuildReload('1', 'before');
    await waitFor(() => got.length === 1);

    await server.kill();
    await waitFor(() => disconnects.length === 1, { timeoutMs: 5000 });
    // While Redis is down a publish fails instead of hanging (a hang would hit the test timeout).
    await expect(pub.publishGuildReload('1', 'lost')).rejects.toBeInstanceOf(PublishFailedError);

    await server.restart();
    await waitFor(() => resyncs.length === 1, { timeoutMs: 10_000 });
    expect(resyncs[0]).toBeGreaterThan(0);
    await waitFor(() => pub.transport.healthy, { timeoutMs: 10_000 });
    await pub.publishGuildReload('1', 'after');
    await waitFor(() => got.includes('after'), { timeoutMs: 5000 });
    expect(got).toEqual(['before', 'after']);
    expect(sub.stats().connected).toBe(true);
  }, 30_000);

  it('notices a hung Redis (SIGSTOP) through the heartbeat and recovers on SIGCONT', async () => {
    const server = await privateRedis();
    const keyPrefix = uniquePrefix();
    const sub = client({
      transport: new RedisTransport({ redis: server.url, heartbeatIntervalMs: 100, commandTimeoutMs: 200 }),
      keyPrefix,
    });
    await sub.connect();
    const events: string[] = [];
    sub.on('disconnected', () => events.push('disconnected'));
    sub.on('resync', () => events.push('resync'));
    await server.pause();
    await waitFor(() => events.includes('disconnected'), { timeoutMs: 5000 });
    expect(sub.transport.healthy).toBe(false);
    await server.resume();
    await waitFor(() => events.includes('resync'), { timeoutMs: 15_000 });
    // On a starved CPU a later heartbeat may time out once more: only the first two events count.
    expect(events.slice(0, 2)).toEqual(['disconnected', 'resync']);
  }, 30_000);

  it('FailoverTransport([redis, pg]) keeps delivering through Postgres while Redis is down, exactly once', async () => {
    const { server, sub, pub, got } = await failoverPair(200);

    let v = 0;
    for (; v < 5; v++) await pub.publishConfigUpdate('1', { v }, v);
    await waitFor(() => got.length === 5);

    await server.kill();
    // Published while Redis is down (some right at the moment it dies).
    for (; v < 25; v++) await pub.publishConfigUpdate('1', { v }, v);
    await waitFor(() => got.length >= 25, { timeoutMs: 10_000 });

    await server.restart();
    await waitFor(
      () => pub.transport.healthy && (pub.transport as FailoverTransport).members[0]?.healthy === true,
      {
        timeoutMs: 10_000,
      },
    );
    await waitFor(() => (sub.transport as FailoverTransport).members[0]?.healthy === true, {
      timeoutMs: 10_000,
    });
    for (; v < 30; v++) await pub.publishConfigUpdate('1', { v }, v);
    await waitFor(() => got.length >= 30, { timeoutMs: 10_000 });
    // Anything either transport still carried arrives before the sentinel (version 30) does.
    await drainBoth(pub, sub, '1', 30);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i));
  }, 40_000);

  it('FailoverTransport stops waiting on a hung Redis after the first timed-out publish', async () => {
    // A long heartbeat, so only the publish timeout can notice the hang.
    const { server, sub, pub, got } = await failoverPair(60_000);
    const redisMember = (pub.transport as FailoverTransport).members[0];
    if (!redisMember) throw new Error('no Redis member');
    const redisPublish = vi.spyOn(redisMember, 'publish');
    await server.pause();
    for (let v = 1; v <= 6; v++) await pub.publishConfigUpdate('1', { v }, v);
    await waitFor(() => got.length >= 6, { timeoutMs: 10_000 });
    expect([...got].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    // The first publish waits out the 300 ms timeout and marks Redis down; the others go straight to
    // Postgres without trying Redis again.
    expect(redisPublish).toHaveBeenCalledTimes(1);
    expect(redisMember.healthy).toBe(false);
    redisPublish.mockRestore();

    // The first publish is still queued in the paused Redis: on resume Redis delivers it too, and
    // the failover must drop that copy (it came over Postgres already).
    await server.resume();
    await waitFor(() => redisMember.healthy, { timeoutMs: 15_000, message: 'publisher Redis back' });
    await drainBoth(pub, sub, '1', 7);
    expect([...got].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  }, 30_000);
});
