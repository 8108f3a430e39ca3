import { captureLogger, redisUrl, startTcpProxy, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { type Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CAS_SCRIPT } from '../../src/cache/envelope.js';
import { RedisLink, type RedisLinkOptions } from '../../src/cache/redis_link.js';
import { CacheCommandTimeoutError } from '../../src/cache/redis_ops.js';
import { ClosedError } from '../../src/errors.js';
import { defer, privateRedis, useCleanup } from './helpers.js';

useCleanup();

/** A RedisLink closed after the test, with a captured logger and recorded onDown/onBack calls. */
function link(overrides: Partial<RedisLinkOptions> & Pick<RedisLinkOptions, 'redis'>) {
  const logger = captureLogger();
  const downs: Error[] = [];
  const backs: number[] = [];
  const l = new RedisLink({
    commandTimeoutMs: 200,
    healthCheckIntervalMs: 60_000,
    connectTimeoutMs: 2000,
    logger,
    onDown: (err) => downs.push(err),
    onBack: async (ms) => {
      backs.push(ms);
      return undefined;
    },
    ...overrides,
  });
  defer(() => l.close());
  return { link: l, logger, downs, backs };
}

/** An app-owned ioredis client (no commandTimeout unless given), connected, disconnected after the test. */
async function givenClient(url = redisUrl(), extra: Record<string, unknown> = {}): Promise<Redis> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, ...extra });
  client.on('error', () => {});
  defer(() => client.disconnect());
  await waitFor(() => client.status === 'ready');
  return client;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets every pending microtask and I/O callback of the current turn run. */
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('RedisLink: per-call timeout', () => {
  it('a given client without commandTimeout gets the link timer: a hung call rejects with CacheCommandTimeoutError', async () => {
    const { link: l } = link({ redis: await givenClient(), commandTimeoutMs: 100 });
    expect(l.up).toBe(true);
    const hung = new Promise<never>(() => {});
    const wrapped = l.timed(hung);
    expect(wrapped).not.toBe(hung);
    await expect(wrapped).rejects.toBeInstanceOf(CacheCommandTimeoutError);
    await expect(l.timed(hung)).rejects.toThrow('Redis cache command timed out after 100 ms');
  });

  it('the link timer passes on the call’s own failure and value unchanged', async () => {
    const { link: l } = link({ redis: await givenClient(), commandTimeoutMs: 300 });
    await expect(l.timed(Promise.reject(new Error('own failure')))).rejects.toThrow('own failure');
    await expect(l.timed(Promise.resolve(42))).resolves.toBe(42);
  });

  it('a given client with its own commandTimeout and a created client get no second timer', async () => {
    const withTimeout = link({ redis: await givenClient(redisUrl(), { commandTimeout: 500 }) });
    const p = Promise.resolve(1);
    expect(withTimeout.link.timed(p)).toBe(p);
    const owned = link({ redis: redisUrl() });
    await owned.link.started;
    expect(owned.link.timed(p)).toBe(p);
  });

  it('a given Cluster without redisOptions does not break the constructor', async () => {
    const { Cluster } = await import('ioredis');
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    cluster.on('error', () => {});
    defer(() => cluster.disconnect());
    (cluster.options as { redisOptions?: unknown }).redisOptions = undefined;
    const { link: l } = link({
      redis: cluster as unknown as Cluster,
      connectTimeoutMs: 50,
      commandTimeoutMs: 100,
    });
    await expect(l.timed(new Promise(() => {}))).rejects.toBeInstanceOf(CacheCommandTimeoutError);
  });
});

describe('RedisLink: created client reconnect strategy', () => {
  it('backs off exponentially from 50 ms, capped at min(1 s, health-check interval)', async () => {
    const slow = link({ redis: redisUrl(), healthCheckIntervalMs: 5000 });
    const retry = (slow.link.client as Redis).options.retryStrategy!;
    expect([0, 1, 2, 3, 4, 10].map((n) => retry(n))).toEqual([50, 100, 200, 400, 800, 1000]);
    const fast = link({ redis: redisUrl(), healthCheckIntervalMs: 300 });
    const fastRetry = (fast.link.client as Redis).options.retryStrategy!;
    expect([1, 2, 3, 10].map((n) => fastRetry(n))).toEqual([100, 200, 300, 300]);
    await slow.link.started;
    await fast.link.started;
  });

  it('a created Cluster gets the capped strategy as its clusterRetryStrategy', async () => {
    const { link: l } = link({
      redis: { cluster: [{ host: '127.0.0.1', port: 1 }] },
      healthCheckIntervalMs: 300,
      connectTimeoutMs: 50,
    });
    const retry = (l.client as Cluster).options.clusterRetryStrategy!;
    expect(retry(10, undefined as never)).toBe(300);
    expect(retry(1, undefined as never)).toBe(100);
    await l.started;
  });
});

describe('RedisLink: starting', () => {
  it('a given client that is already ready makes the link up at once', async () => {
    const { link: l } = link({ redis: await givenClient() });
    expect(l.up).toBe(true);
    expect(l.started).toBeInstanceOf(Promise);
    await expect(l.usable()).resolves.toBe(true);
  });

  it('usable() waits for the first connection of a created client', async () => {
    const { link: l } = link({ redis: redisUrl() });
    expect(l.up).toBe(false);
    await expect(l.usable()).resolves.toBe(true);
    expect(l.up).toBe(true);
  });

  it('marked down while starting: the first connection recovers through onBack, not silently', async () => {
    const { link: l, backs, downs, logger } = link({ redis: redisUrl() });
    l.markDown(new Error('early'));
    expect(downs.map((e) => e.message)).toEqual(['early']);
    await l.started;
    await waitFor(() => backs.length === 1, { timeoutMs: 10_000 });
    expect(l.up).toBe(true);
    expect(logger.has('Redis reconnected', 'info')).toBe(true);
  });
});

describe('RedisLink: failed() and close()', () => {
  it('a reply error is only this command’s failure: logged with the error, Redis stays up', async () => {
    const raw = await givenClient();
    const { link: l, logger, downs } = link({ redis: raw });
    const err = await raw.call('NO_SUCH_COMMAND_C1').catch((e: unknown) => e as Error);
    expect(l.failed(err)).toBe(false);
    expect(l.up).toBe(true);
    expect(downs).toEqual([]);
    const entry = logger.entries.find(
      (e) => e.level === 'warn' && e.msg.startsWith('Redis cache command failed: '),
    );
    expect(entry?.msg).toContain('NO_SUCH_COMMAND_C1');
    expect(entry?.obj?.err).toBe(err);
  });

  it('an outage error marks the link down once, warns with the error and calls onDown', async () => {
    const { link: l, logger, downs } = link({ redis: await givenClient() });
    const err = new Error('Connection is closed.');
    expect(l.failed(err)).toBe(true);
    expect(l.up).toBe(false);
    await expect(l.usable()).resolves.toBe(false);
    expect(downs).toEqual([err]);
    const entry = logger.entries.find((e) => e.msg === 'Redis down, using memory cache');
    expect(entry?.level).toBe('warn');
    expect(entry?.obj?.err).toBe(err);
  });

  it('after close(), usable() and failed() throw ClosedError("The cache is closed")', async () => {
    const { link: l } = link({ redis: await givenClient() });
    await l.close();
    await expect(l.usable()).rejects.toBeInstanceOf(ClosedError);
    await expect(l.usable()).rejects.toThrow('The cache is closed');
    expect(() => l.failed(new Error('Connection is closed.'))).toThrow(ClosedError);
    expect(() => l.failed(new Error('x'))).toThrow('The cache is closed');
    const reply = Object.assign(new Error('WRONGTYPE'), { name: 'ReplyError' });
    expect(() => l.failed(reply)).toThrow('The cache is closed');
  });

  it('close() leaves a given client connected and without the link’s listeners', async () => {
    const raw = await givenClient();
    const before = { ready: raw.listenerCount('ready'), close: raw.listenerCount('close') };
    const { link: l } = link({ redis: raw });
    await l.close();
    expect({ ready: raw.listenerCount('ready'), close: raw.listenerCount('close') }).toEqual(before);
    expect(raw.status).toBe('ready');
  });

  it('close() ends a created client, and a late client error is swallowed, not logged or thrown', async () => {
    const { link: l, logger } = link({ redis: redisUrl() });
    await l.started;
    await l.close();
    await waitFor(() => l.client.status === 'end');
    expect(() => l.client.emit('error', new Error('late c1 error'))).not.toThrow();
    expect(logger.has('late c1 error')).toBe(false);
  });

  it('a created client’s connection errors are logged at debug with the error', async () => {
    const { link: l, logger } = link({ redis: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    await l.started;
    const entry = await waitFor(() =>
      logger.entries.find((e) => e.level === 'debug' && e.msg.startsWith('Redis cache client: ')),
    );
    expect(entry.msg).toContain('ECONNREFUSED');
    expect(entry.obj?.err).toBeInstanceOf(Error);
  });
});

describe('RedisLink: recovery', () => {
  it('one early probe recovers a link marked down within min(1 s, interval), not after the whole interval', async () => {
    const { link: l, backs, downs } = link({ redis: await givenClient(), healthCheckIntervalMs: 600_000 });
    l.markDown(new Error('one slow command'));
    expect(downs).toHaveLength(1);
    await waitFor(() => backs.length === 1, { timeoutMs: 8000 });
    expect(l.up).toBe(true);
  });

  it('onBack gets the downtime (time since markDown) and the info log carries it', async () => {
    const { link: l, backs, logger } = link({ redis: await givenClient(), healthCheckIntervalMs: 100 });
    const t0 = Date.now();
    l.markDown(new Error('down'));
    await waitFor(() => backs.length === 1);
    const elapsed = Date.now() - t0;
    expect(backs[0]).toBeGreaterThanOrEqual(0);
    expect(backs[0]).toBeLessThanOrEqual(elapsed);
    const entry = logger.entries.find((e) => e.msg === 'Redis reconnected');
    expect(entry?.level).toBe('info');
    expect(entry?.obj).toEqual({ downtimeMs: backs[0] });
  });

  it('recovery loads the CAS script into a Redis whose script cache is empty', async () => {
    const server = await privateRedis();
    const raw = await givenClient(server.url);
    const { link: l, backs } = link({ redis: raw, healthCheckIntervalMs: 100 });
    await raw.script('FLUSH');
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha1').update(CAS_SCRIPT).digest('hex');
    expect(await raw.script('EXISTS', sha)).toEqual([0]);
    l.markDown(new Error('restart'));
    await waitFor(() => backs.length === 1);
    expect(await raw.script('EXISTS', sha)).toEqual([1]);
  });

  it('onBack resolving with an error marks the link down again with that error', async () => {
    let first = true;
    const again = new Error('failed again during catch-up');
    const { link: l, downs } = link({
      redis: await givenClient(),
      healthCheckIntervalMs: 100,
      onBack: async () => {
        if (!first) return undefined;
        first = false;
        return again;
      },
    });
    l.markDown(new Error('first'));
    await waitFor(() => downs.length === 2);
    expect(downs[1]).toBe(again);
  });

  it('close() during the recovery ping: no reconnect log, no onBack, stays closed', async () => {
    const raw = await givenClient();
    const { link: l, backs, logger } = link({ redis: raw, healthCheckIntervalMs: 100 });
    const gate = deferred<string>();
    let pings = 0;
    let scripts = 0;
    const realScript = raw.script.bind(raw);
    raw.ping = (() => {
      pings++;
      return gate.promise;
    }) as never;
    raw.script = ((...args: never[]) => {
      scripts++;
      return (realScript as (...a: never[]) => unknown)(...args);
    }) as never;
    l.markDown(new Error('down'));
    await waitFor(() => pings >= 1);
    await l.close();
    gate.resolve('PONG');
    await flush();
    await flush();
    expect(scripts).toBe(0);
    expect(logger.has('Redis reconnected')).toBe(false);
    expect(backs).toEqual([]);
    await expect(l.usable()).rejects.toBeInstanceOf(ClosedError);
  });

  it('close() while the script loads: onBack is not called and the link stays closed', async () => {
    const raw = await givenClient();
    const { link: l, backs } = link({ redis: raw, healthCheckIntervalMs: 100 });
    const gate = deferred<unknown>();
    let scripts = 0;
    raw.script = (() => {
      scripts++;
      return gate.promise;
    }) as never;
    l.markDown(new Error('down'));
    await waitFor(() => scripts >= 1);
    await l.close();
    gate.resolve('sha');
    await flush();
    await flush();
    expect(backs).toEqual([]);
    await expect(l.usable()).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('RedisLink: health check and outages (private redis-server)', () => {
  it('a hung server is found by the health-check ping; the tick recovers once it answers again', async () => {
    const server = await privateRedis();
    const raw = await givenClient(server.url);
    const { link: l, downs, backs } = link({ redis: raw, healthCheckIntervalMs: 100, commandTimeoutMs: 150 });
    let pings = 0;
    let closes = 0;
    raw.on('close', () => closes++);
    const realPing = raw.ping.bind(raw);
    raw.ping = (() => {
      pings++;
      return realPing();
    }) as never;
    await server.pause();
    await waitFor(() => downs.length === 1, { timeoutMs: 8000 });
    expect(downs[0]).toBeInstanceOf(CacheCommandTimeoutError);
    // the early probe and at least one tick failed while paused
    const atDown = pings;
    await waitFor(() => pings >= atDown + 2, { timeoutMs: 8000 });
    // a given client is the app's: the link never drops its connection
    expect(raw.status).toBe('ready');
    await server.resume();
    await waitFor(() => backs.length === 1, { timeoutMs: 8000 });
    expect(l.up).toBe(true);
    await expect(raw.set(`${uniquePrefix()}:after`, 'v')).resolves.toBe('OK');
    expect(closes).toBe(0);
  });

  it('a created client stuck on a hung server is dropped so ioredis reconnects', async () => {
    const server = await privateRedis();
    const { link: l, downs } = link({ redis: server.url, healthCheckIntervalMs: 100, commandTimeoutMs: 150 });
    await l.started;
    expect(l.up).toBe(true);
    await server.pause();
    defer(() => server.resume());
    await waitFor(() => downs.length === 1, { timeoutMs: 8000 });
    await waitFor(() => l.client.status !== 'ready', { timeoutMs: 8000 });
  });

  it('a ping that times out after its connection dropped leaves the reconnect under way alone', async () => {
    const server = await privateRedis();
    const proxy = await startTcpProxy({ targetPort: server.port });
    defer(() => proxy.close());
    const { link: l, backs } = link({
      redis: proxy.url('redis'),
      healthCheckIntervalMs: 100,
      commandTimeoutMs: 1000,
    });
    await l.started;
    const client = l.client as Redis;
    const pings: Promise<unknown>[] = [];
    const realPing = client.ping.bind(client);
    client.ping = (() => {
      const reply = realPing();
      pings.push(reply);
      return reply;
    }) as never;
    let disconnects = 0;
    const realDisconnect = client.disconnect.bind(client);
    client.disconnect = ((reconnect?: boolean) => {
      disconnects++;
      realDisconnect(reconnect);
    }) as never;
    let connects = 0;
    client.on('connect', () => connects++);
    await server.pause();
    defer(() => (server.paused ? server.resume() : undefined));
    l.markDown(new Error('one slow command'));
    await waitFor(() => pings.length === 1); // the recovery ping, sent on the ready connection
    // That connection drops; ioredis keeps the ping for a resend and connects again, and the new
    // connection waits for the paused server's answer to its ready check.
    proxy.resetAll();
    await waitFor(() => connects === 1 && client.status === 'connect', { timeoutMs: 8000 });
    await expect(pings[0]).rejects.toThrow('Command timed out');
    await flush();
    expect(disconnects).toBe(0);
    expect(client.status).toBe('connect');
    await server.resume();
    await waitFor(() => backs.length === 1, { timeoutMs: 8000 });
    expect(l.up).toBe(true);
    expect(connects).toBe(1);
  });

  it('a closed connection marks the link down at once with "Redis connection closed"', async () => {
    const server = await privateRedis();
    const { link: l, downs, logger } = link({ redis: server.url });
    await l.started;
    await server.kill();
    await waitFor(() => downs.length === 1, { timeoutMs: 8000 });
    expect(downs[0]?.message).toBe('Redis connection closed');
    expect(logger.has('Redis down, using memory cache', 'warn')).toBe(true);
  });

  it('the reconnect of a created client ends the outage at once (ready event), without waiting for a tick', async () => {
    const server = await privateRedis();
    const { link: l, downs, backs } = link({ redis: server.url, healthCheckIntervalMs: 600_000 });
    await l.started;
    const client = l.client as Redis;
    let pings = 0;
    const realPing = client.ping.bind(client);
    client.ping = (() => {
      pings++;
      return realPing();
    }) as never;
    await server.kill();
    await waitFor(() => downs.length === 1, { timeoutMs: 8000 });
    // the early probe has run (and failed): only the ready event can end the outage now
    await waitFor(() => pings >= 1, { timeoutMs: 8000 });
    await flush();
    expect(l.up).toBe(false);
    await server.restart();
    await waitFor(() => backs.length === 1, { timeoutMs: 10_000 });
    expect(l.up).toBe(true);
  });
});
