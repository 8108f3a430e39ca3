import { redisUrl, sleep, startRedisServer, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  DEFAULT_CHANNEL_HASH_TAG,
  DefaultRedisTransportOptions,
  InvalidOptionsError,
  RedisTransport,
} from '../src/index.js';

/** Server arguments: the default user may do everything but SUBSCRIBE. */
const NO_SUBSCRIBE = ['--user', 'default', 'on', 'nopass', '~*', '&*', '+@all', '-subscribe'];

// RedisTransport's less travelled paths on real Redis servers: unsubscribe, the error events of its
// connections, the heartbeat and publish timeouts, a re-subscription that fails, close(), options.

type Server = Awaited<ReturnType<typeof startRedisServer>>;
type Options = ConstructorParameters<typeof RedisTransport>[0];

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function transport(options: Partial<Options> = {}): RedisTransport {
  const t = new RedisTransport({ redis: redisUrl(), ...options });
  cleanups.push(() => t.close());
  return t;
}

async function privateRedis(args: readonly string[] = []): Promise<Server> {
  const server = await startRedisServer({ args });
  cleanups.push(() => server.stop());
  return server;
}

/** A client of your own (no command timeout); closed after the test. */
function ownClient(url: string): Redis {
  const own = new Redis(url, { lazyConnect: true });
  own.on('error', () => undefined);
  cleanups.push(async () => own.disconnect());
  return own;
}

/**
 * The connections of the next transport built: `pub` is the client `duplicate()` is called on, `sub`
 * the duplicate (the subscriber connection). A spy that calls through: both stay real clients.
 */
function captureConnections(): { pub?: Redis; sub?: Redis } {
  const seen: { pub?: Redis; sub?: Redis } = {};
  const original = Redis.prototype.duplicate;
  const spy = vi.spyOn(Redis.prototype, 'duplicate').mockImplementation(function (
    this: Redis,
    ...args: Parameters<Redis['duplicate']>
  ) {
    const dup = original.apply(this, args);
    seen.pub = this;
    seen.sub = dup;
    return dup;
  });
  cleanups.push(async () => spy.mockRestore());
  return seen;
}

function events(t: RedisTransport): { down: Error[]; up: number; errors: Error[]; messages: string[] } {
  const seen = { down: [] as Error[], up: 0, errors: [] as Error[], messages: [] as string[] };
  t.on('down', (e) => seen.down.push(e));
  t.on('up', () => seen.up++);
  t.on('error', (e) => seen.errors.push(e));
  t.on('message', (c, raw) => seen.messages.push(`${c} ${raw}`));
  return seen;
}

describe('RedisTransport unsubscribe', () => {
  it('stops hearing exactly the channels given, and can subscribe to them again', async () => {
    const prefix = uniquePrefix('unsub');
    const [a, b] = [`${prefix}:a`, `${prefix}:b`];
    const sub = transport();
    const seen = events(sub);
    await sub.subscribe([a, b]);
    await sub.connect();
    const pub = transport();
    await pub.connect();

    // `never` was not subscribed: only `a` goes.
    await sub.unsubscribe([a, `${prefix}:never`]);
    await pub.publish(a, '1');
    await pub.publish(b, '2');
    await waitFor(() => seen.messages.includes(`${b} 2`), { message: 'the sentinel on b' });
    expect(seen.messages).toEqual([`${b} 2`]);

    // Nothing to leave: b stays subscribed (an UNSUBSCRIBE without channels would leave them all).
    await sub.unsubscribe([`${prefix}:never`, a]);
    // a was forgotten, so subscribing to it again subscribes for real.
    await sub.subscribe([a]);
    await pub.publish(a, '3');
    await pub.publish(b, '4');
    await waitFor(() => seen.messages.includes(`${b} 4`), { message: 'the sentinel on b' });
    expect(seen.messages).toEqual([`${b} 2`, `${a} 3`, `${b} 4`]);
  });

  it('subscribing to a channel twice is a no-op, also on the wire', async () => {
    const channel = `${uniquePrefix('twice')}:c`;
    const t = transport();
    const seen = events(t);
    await t.subscribe([channel]);
    await t.connect();
    await t.subscribe([channel]);
    await t.subscribe([]);
    const pub = transport();
    await pub.connect();
    await pub.publish(channel, 'x');
    await waitFor(() => seen.messages.length === 1, { message: 'the message' });
    expect(seen.messages).toEqual([`${channel} x`]);
  });

  it('sends nothing on a hung Redis when there is nothing to subscribe to or leave', async () => {
    const server = await privateRedis();
    const t = transport({ redis: server.url, heartbeatIntervalMs: 0, commandTimeoutMs: 200 });
    await t.subscribe(['c']);
    await t.connect();
    await server.pause();
    try {
      // A command would time out on the paused server: these must not send one.
      await expect(t.subscribe(['c'])).resolves.toBeUndefined();
      await expect(t.unsubscribe(['never'])).resolves.toBeUndefined();
    } finally {
      await server.resume();
    }
  });

  it('only records (un)subscriptions while the subscriber is not connected', async () => {
    // Port 1 refuses connections: a command sent there would wait in the queue and time out.
    const t = transport({ redis: 'redis://127.0.0.1:1', commandTimeoutMs: 100 });
    await expect(t.subscribe(['a', 'b'])).resolves.toBeUndefined();
    await expect(t.unsubscribe(['a'])).resolves.toBeUndefined();
  });
});

describe('RedisTransport events', () => {
  it('reports the errors of its own connections only while up and open', async () => {
    const server = await privateRedis();
    const conns = captureConnections();
    const t = transport({ redis: server.url, heartbeatIntervalMs: 0 });
    const { pub, sub } = conns;
    if (!pub || !sub) throw new Error('connections not captured');
    const seen = events(t);
    await t.connect();
    pub.emit('error', new Error('pub boom'));
    sub.emit('error', new Error('sub boom'));
    expect(seen.errors.map((e) => e.message)).toEqual(['pub boom', 'sub boom']);

    await server.kill();
    await waitFor(() => seen.down.length === 1, { message: 'down' });
    expect(seen.down[0]?.message).toBe('Redis subscriber connection closed');
    expect(t.healthy).toBe(false);
    seen.errors.length = 0;
    sub.emit('error', new Error('while down'));
    pub.emit('error', new Error('while down'));
    expect(seen.errors).toEqual([]);

    // No channels: coming back needs no SUBSCRIBE (one without channels would fail).
    await server.restart();
    await waitFor(() => seen.up === 1, { message: 'up' });
    expect(seen.errors).toEqual([]);
    await waitFor(() => t.healthy, { message: 'healthy again' });
    sub.emit('error', new Error('up again'));
    expect(seen.errors.map((e) => e.message)).toEqual(['up again']);

    await t.close();
    // close() is final: the owned publisher is closed too, and nothing is reported any more.
    const after = { errors: [] as Error[], down: [] as Error[] };
    t.on('error', (e) => after.errors.push(e));
    t.on('down', (e) => after.down.push(e));
    sub.emit('error', new Error('after close'));
    await waitFor(() => pub.status === 'end' && sub.status === 'end', { message: 'both connections ended' });
    expect(after).toEqual({ errors: [], down: [] });
    // A second close() is a no-op: it leaves the listeners added since alone.
    await t.close();
    expect(t.listenerCount('error')).toBe(1);
  });

  it('reports a re-subscription that fails after a reconnect, and is not up then', async () => {
    const server = await privateRedis(NO_SUBSCRIBE);
    const t = transport({ redis: server.url, heartbeatIntervalMs: 0 });
    const seen = events(t);
    await t.connect();
    await expect(t.subscribe(['c'])).rejects.toThrow(/NOPERM/);
    await server.restart();
    await waitFor(() => seen.errors.length > 0, { message: 'the failed re-subscription' });
    expect(seen.errors.map((e) => e.message)).toEqual([expect.stringMatching(/NOPERM/)]);
    expect(seen.up).toBe(0);
    expect(t.healthy).toBe(false);
  });

  it('connect() rejects when it cannot subscribe to the channels asked for before it', async () => {
    const server = await privateRedis(NO_SUBSCRIBE);
    const t = transport({ redis: server.url, heartbeatIntervalMs: 0 });
    const seen = events(t);
    await t.subscribe(['c']);
    await expect(t.connect()).rejects.toThrow(/NOPERM/);
    expect(seen.down.map((e) => e.message)).toEqual([expect.stringMatching(/NOPERM/)]);
  });
});

describe('RedisTransport timeouts', () => {
  it('notices a hung Redis by its heartbeat, again after it recovered', async () => {
    const server = await privateRedis();
    // A client of your own has no command timeout: the heartbeat's own timer must fire.
    const t = transport({ redis: ownClient(server.url), heartbeatIntervalMs: 50, commandTimeoutMs: 200 });
    const seen = events(t);
    await t.connect();
    for (const round of [1, 2]) {
      await server.pause();
      try {
        await waitFor(() => seen.down.length === round, { message: `down #${round}` });
        expect(seen.down[round - 1]?.message).toBe('Redis heartbeat timed out');
        // Both connections still look ready (the server only hangs): down is what makes it unhealthy.
        expect(t.healthy).toBe(false);
      } finally {
        await server.resume();
      }
      await waitFor(() => seen.up === round, { message: `up #${round}` });
    }
  });

  it('pings a hung Redis once: no heartbeat while the socket it dropped is still closing', async () => {
    const server = await privateRedis();
    const conns = captureConnections();
    const t = transport({ redis: server.url, heartbeatIntervalMs: 100, commandTimeoutMs: 50 });
    const seen = events(t);
    await t.connect();
    const sub = conns.sub;
    if (!sub) throw new Error('connection not captured');
    const pings = vi.spyOn(sub, 'ping');
    await server.pause();
    try {
      await waitFor(() => seen.down.length === 1, { message: 'down' });
      // The hung server never answers the FIN: the socket stays open (status ready) until ioredis
      // destroys it after its disconnect timeout (2 s). Beats meanwhile must leave it alone.
      await waitFor(() => sub.status !== 'ready', {
        timeoutMs: 10_000,
        message: 'the dropped socket closed',
      });
      expect(pings).toHaveBeenCalledTimes(1);
    } finally {
      await server.resume();
    }
    await waitFor(() => seen.up === 1, { message: 'up' });
  });

  it('still notices a hang after an outage in which Redis was gone', async () => {
    const server = await privateRedis();
    const t = transport({ redis: ownClient(server.url), heartbeatIntervalMs: 30, commandTimeoutMs: 100 });
    const seen = events(t);
    await t.connect();
    await server.kill();
    await waitFor(() => seen.down.length === 1, { message: 'down' });
    // Several heartbeat periods pass while the subscriber reconnects: it must not beat then.
    await sleep(400);
    await server.restart();
    await waitFor(() => seen.up === 1, { message: 'up' });
    await server.pause();
    try {
      await waitFor(() => seen.down.length === 2, { message: 'the hang noticed' });
      expect(seen.down[1]?.message).toBe('Redis heartbeat timed out');
    } finally {
      await server.resume();
    }
    await waitFor(() => seen.up === 2, { message: 'up again' });
  });

  it('reports no outage for a heartbeat that was under way when it closed', async () => {
    const server = await privateRedis();
    const a = transport({ redis: ownClient(server.url), heartbeatIntervalMs: 30, commandTimeoutMs: 100 });
    // The sentinel: b's heartbeat times out only after any heartbeat a started before closing.
    const b = transport({ redis: ownClient(server.url), heartbeatIntervalMs: 30, commandTimeoutMs: 300 });
    await a.connect();
    await b.connect();
    const bDown: Error[] = [];
    b.on('down', (e) => bDown.push(e));
    await server.pause();
    try {
      await sleep(60); // a's next heartbeat is now waiting for the paused server
      await a.close();
      const aDown: Error[] = [];
      a.on('down', (e) => aDown.push(e));
      await waitFor(() => bDown.length === 1, { message: "b's heartbeat timed out" });
      expect(aDown).toEqual([]);
    } finally {
      await server.resume();
    }
  });

  it('marks itself down at once when a publish times out, and comes back', async () => {
    const server = await privateRedis();
    // The default command timeout applies.
    const t = transport({ redis: server.url, heartbeatIntervalMs: 0 });
    const seen = events(t);
    await t.connect();
    await server.pause();
    try {
      await expect(t.publish('c', 'x')).rejects.toThrow(/timed out/);
      expect(seen.down.map((e) => e.message)).toEqual([expect.stringMatching(/timed out/)]);
    } finally {
      await server.resume();
    }
    await waitFor(() => seen.up === 1, { message: 'up' });
  });

  it('a publish timing out while the subscriber resubscribes after an outage does not drop it again', async () => {
    const own = ownClient(redisUrl());
    const conns = captureConnections();
    const t = transport({ redis: own, heartbeatIntervalMs: 0 });
    const seen = events(t);
    await t.subscribe(['c']);
    await t.connect();
    const sub = conns.sub;
    if (!sub) throw new Error('connection not captured');
    // Hold the SUBSCRIBE that ends the outage until the publish below has failed.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscribe = sub.subscribe.bind(sub) as (...channels: string[]) => Promise<unknown>;
    const resubscribing = vi.spyOn(sub, 'subscribe').mockImplementationOnce((async (
      ...channels: string[]
    ) => {
      await held;
      return subscribe(...channels);
    }) as never);
    sub.disconnect(true); // an outage of the subscriber's connection: it reconnects by itself
    await waitFor(() => resubscribing.mock.calls.length === 1, { message: 'reconnected, resubscribing' });
    expect(seen.down).toHaveLength(1);
    let closes = 0;
    sub.on('close', () => closes++);
    vi.spyOn(own, 'publish').mockRejectedValueOnce(new Error('Command timed out') as never);
    await expect(t.publish('c', 'x')).rejects.toThrow('Command timed out');
    release();
    await waitFor(() => seen.up === 1, { message: 'up' });
    expect(closes).toBe(0);
    expect(seen.down).toHaveLength(1);
  });

  it('tells a timeout from other publish failures by the error message', async () => {
    const own = ownClient(redisUrl());
    const t = transport({ redis: own, heartbeatIntervalMs: 0 });
    const seen = events(t);
    await t.connect();
    const failWith = (message: string) =>
      vi.spyOn(own, 'publish').mockRejectedValueOnce(new Error(message) as never);
    failWith("READONLY You can't write against a read only replica.");
    await expect(t.publish('c', 'x')).rejects.toThrow(/READONLY/);
    expect(seen.down).toEqual([]);
    failWith('Connection timeout');
    await expect(t.publish('c', 'x')).rejects.toThrow('Connection timeout');
    expect(seen.down.map((e) => e.message)).toEqual(['Connection timeout']);
    await waitFor(() => seen.up === 1, { message: 'up after the subscriber reconnected' });
    failWith('connect ETIMEDOUT');
    await expect(t.publish('c', 'x')).rejects.toThrow('ETIMEDOUT');
    expect(seen.down.map((e) => e.message)).toEqual(['Connection timeout', 'connect ETIMEDOUT']);
  });

  it('heartbeatIntervalMs: 0 sends no heartbeat', async () => {
    const { hostname, port } = new URL(redisUrl());
    const [quiet, beating] = [uniquePrefix('quiet'), uniquePrefix('beating')].map((n) =>
      n.replace(/\W/g, '_'),
    );
    const at = (connectionName: string) => ({ host: hostname, port: Number(port), connectionName });
    const a = transport({ redis: at(quiet as string), heartbeatIntervalMs: 0 });
    const b = transport({ redis: at(beating as string), heartbeatIntervalMs: 20 });
    await a.connect();
    await b.connect();
    const admin = ownClient(redisUrl());
    const lastCommands = async (name: string) =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /\bcmd=(\S+)/.exec(line)?.[1]);
    // The sentinel: b has beaten (a, started first, would have beaten by then too).
    await waitFor(async () => (await lastCommands(beating as string)).includes('ping'), {
      message: "b's ping",
    });
    const quietCommands = await lastCommands(quiet as string);
    expect(quietCommands).toHaveLength(2);
    expect(quietCommands).not.toContain('ping');
  });
});

describe('RedisTransport construction', () => {
  it('is named redis, and its subscriber connects only at connect()', async () => {
    const conns = captureConnections();
    const t = transport();
    expect(t.name).toBe('redis');
    expect(conns.sub?.status).toBe('wait');
    await t.close();
    await expect(t.publish('c', 'x')).rejects.toThrow(new ClosedError('transport').message);
    await expect(t.connect()).rejects.toThrow('The transport is closed');
  });

  it('validates its options, naming itself and the problem', () => {
    const attempt = (options: unknown) => () => new RedisTransport(options as Options);
    expect(attempt({})).toThrow(
      new InvalidOptionsError('RedisTransport', [
        'redis: is required: give a Redis URL, ioredis options or an ioredis client',
      ]),
    );
    expect(attempt({})).toThrow(
      'RedisTransport: invalid options: redis: is required: give a Redis URL, ioredis options or an ioredis client',
    );
    expect(attempt({ redis: redisUrl(), commandTimeoutMs: -1 })).toThrow(/commandTimeoutMs: must be > 0/);
    expect(attempt({ redis: redisUrl(), heartbeatIntervalMs: -1 })).toThrow(InvalidOptionsError);
    const tagRule = 'channelHashTag: must be 1-64 characters of A-Z a-z 0-9 : . _ - (no braces)';
    for (const bad of ['', 'x}y', 'tag}', '{tag', 'a'.repeat(65)]) {
      expect(attempt({ redis: redisUrl(), channelHashTag: bad }), bad).toThrow(tagRule);
    }
  });

  it('accepts valid options', async () => {
    for (const options of [
      { heartbeatIntervalMs: 0 },
      { heartbeatIntervalMs: 1000 },
      { channelHashTag: 'prod:bus-1.a_b' },
      { channelHashTag: 'a'.repeat(64) },
      { channelHashTag: 'x' },
    ]) {
      const t = transport(options);
      await t.close();
    }
    expect(DEFAULT_CHANNEL_HASH_TAG).toBe('wolaro');
    expect(DefaultRedisTransportOptions.channelHashTag).toBe('wolaro');
  });

  it('is unhealthy once closed even while its connections are still open, and never down after', async () => {
    const own = ownClient(redisUrl());
    const conns = captureConnections();
    const t = transport({ redis: own });
    await t.connect();
    expect(t.healthy).toBe(true);
    await t.close();
    expect(own.status).toBe('ready');
    expect(t.healthy).toBe(false);
    // The subscriber's socket closes after close() returned: that is no outage.
    const down: Error[] = [];
    t.on('down', (e) => down.push(e));
    await waitFor(() => conns.sub?.status === 'end', { message: 'the subscriber connection ended' });
    expect(down).toEqual([]);
  });
});

describe('RedisTransport health', () => {
  it('is unhealthy while its subscriber is not connected, even on a ready client of yours', async () => {
    const own = ownClient(redisUrl());
    expect(await own.ping()).toBe('PONG');
    const t = transport({ redis: own });
    expect(t.healthy).toBe(false);
    await t.connect();
    expect(t.healthy).toBe(true);
  });

  it('is unhealthy once the publishing client is gone', async () => {
    const own = ownClient(redisUrl());
    const t = transport({ redis: own, heartbeatIntervalMs: 0 });
    await t.connect();
    expect(t.healthy).toBe(true);
    own.disconnect();
    await waitFor(() => own.status === 'end', { message: 'the client closed' });
    expect(t.healthy).toBe(false);
  });
});

describe('RedisTransport subscriber drop', () => {
  it.each([
    ['a client of yours', false],
    ['a client it owns', true],
  ])(
    'keeps a subscribe made while the subscriber is being dropped, and carries it out after the reconnect (%s)',
    async (_, owned) => {
      const server = await privateRedis();
      const conns = captureConnections();
      // A long command timeout: the queued SUBSCRIBE waits for the reconnect.
      const t = transport({
        redis: owned ? server.url : ownClient(server.url),
        heartbeatIntervalMs: 0,
        commandTimeoutMs: 10_000,
      });
      const own = conns.pub;
      if (!own) throw new Error('connection not captured');
      const seen = events(t);
      await t.connect();
      await server.pause();
      let subscribed: Promise<void> | undefined;
      try {
        // A timed-out publish drops the subscriber connection; the hung server does not close it yet.
        vi.spyOn(own, 'publish').mockRejectedValueOnce(new Error('Command timed out') as never);
        await expect(t.publish('c', 'x')).rejects.toThrow('Command timed out');
        expect(seen.down).toHaveLength(1);
        subscribed = t.subscribe(['late']);
        subscribed.catch(() => undefined);
      } finally {
        await server.resume();
      }
      await expect(subscribed).resolves.toBeUndefined();
      await waitFor(() => seen.up === 1, { message: 'up' });
      const pub = transport({ redis: server.url });
      await pub.connect();
      await pub.publish('late', 'hello');
      await waitFor(() => seen.messages.length === 1, { message: 'the message on the late channel' });
      expect(seen.messages).toEqual(['late hello']);
    },
  );
});
