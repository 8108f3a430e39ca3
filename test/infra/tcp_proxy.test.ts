import { createServer, type Server, Socket } from 'node:net';
import {
  createTestSchema,
  redisUrl,
  sleep,
  startTcpProxy,
  type TcpProxy,
  type TestSchema,
  waitFor,
} from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Echo server: every byte comes back unchanged. */
let echo: Server;
let echoPort: number;
const cleanup: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
});

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await new Promise((resolve) => echo.close(resolve));
});

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: port });
  cleanup.push(() => proxy.close());
  return proxy;
}

/** A raw client socket that records everything it receives and how it ended. */
async function rawClient(port: number) {
  const socket = new Socket();
  const state = { data: '', error: undefined as NodeJS.ErrnoException | undefined, closed: false };
  socket.on('data', (chunk: Buffer) => {
    state.data += chunk.toString();
  });
  socket.on('error', (err) => {
    state.error = err;
  });
  socket.on('close', () => {
    state.closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1');
  });
  cleanup.push(() => socket.destroy());
  return { socket, state };
}

function redisVia(proxy: TcpProxy, options: { commandTimeout?: number } = {}) {
  const redis = new Redis(proxy.url('redis'), {
    retryStrategy: () => 20,
    maxRetriesPerRequest: null,
    ...options,
  });
  redis.on('error', () => {});
  cleanup.push(() => redis.disconnect());
  return redis;
}

describe('startTcpProxy', () => {
  it('passes traffic through (Redis behind it)', async () => {
    const target = new URL(redisUrl());
    const proxy = await proxyTo(Number(target.port || 6379));
    expect(proxy.url('redis')).toBe(`redis://127.0.0.1:${proxy.port}`);
    const redis = redisVia(proxy);
    expect(await redis.ping()).toBe('PONG');
    expect(proxy.connections()).toBe(1);
  });

  it('rewrites host and port of a full URL, keeping user, path and query', async () => {
    const proxy = await proxyTo(echoPort);
    expect(proxy.url('postgres://u:p@db.example:5432/test?options=-c%20search_path%3Dx')).toBe(
      `postgres://u:p@127.0.0.1:${proxy.port}/test?options=-c%20search_path%3Dx`,
    );
  });

  it('delays each chunk in both directions by at least the set value, preserving order', async () => {
    const proxy = await proxyTo(echoPort);
    const { socket, state } = await rawClient(proxy.port);
    socket.write('warm');
    await waitFor(() => state.data === 'warm');

    proxy.setDelay(60);
    expect(proxy.delayMs).toBe(60);
    const started = performance.now();
    socket.write('a');
    await sleep(5);
    proxy.setDelay(0); // later chunk with a shorter delay must still arrive after the earlier one
    socket.write('b');
    await waitFor(() => state.data.length === 6, { intervalMs: 1 });
    const elapsed = performance.now() - started;
    expect(state.data).toBe('warmab');
    expect(elapsed).toBeGreaterThanOrEqual(60); // 'a' waited its 60 ms upstream; 'b' waited behind it
  });

  it('measured Redis round trip with a delay is at least twice the delay', async () => {
    const target = new URL(redisUrl());
    const proxy = await proxyTo(Number(target.port || 6379));
    const redis = redisVia(proxy);
    await redis.ping();
    proxy.setDelay(50);
    const started = performance.now();
    expect(await redis.ping()).toBe('PONG');
    const rtt = performance.now() - started;
    expect(rtt).toBeGreaterThanOrEqual(99);
    // pipelined commands keep their order through the delayed link
    const replies = await redis.pipeline(Array.from({ length: 20 }, (_, i) => ['echo', String(i)])).exec();
    expect(replies?.map(([, value]) => value)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('blackhole keeps connections open but drops everything; pass restores the flow', async () => {
    const target = new URL(redisUrl());
    const proxy = await proxyTo(Number(target.port || 6379));
    const redis = redisVia(proxy, { commandTimeout: 150 });
    expect(await redis.ping()).toBe('PONG');

    proxy.setMode('blackhole');
    await expect(redis.ping()).rejects.toThrow(/timed out/i);
    expect(redis.status).toBe('ready');
    expect(proxy.connections()).toBe(1);

    // a fresh connection is accepted, but nothing comes back
    const { socket, state } = await rawClient(proxy.port);
    socket.write('PING\r\n');
    await waitFor(() => proxy.connections() === 2, { message: 'the proxy to hold the new connection' });
    // The PING's bytes are in the proxy's socket buffer already (loopback, same process): a round
    // trip on another loopback connection takes later turns of the event loop, in which the proxy
    // has read (and dropped) them.
    const fence = await rawClient(echoPort);
    fence.socket.write('fence');
    await waitFor(() => fence.state.data === 'fence', { message: 'the echo round trip' });
    expect(state.closed).toBe(false);

    // Healing: new connections work at once. Bytes dropped during the blackhole are gone for good, so the
    // old connection is out of step (its timed-out PING never reached Redis); resetAll() makes it reconnect.
    proxy.setMode('pass');
    // Sentinel on the held connection: Redis answers in order, so had the blackholed PING reached it
    // (late or not), its +PONG would come before the sentinel's reply. Only the sentinel's comes.
    expect(state.closed).toBe(false);
    socket.write('ECHO sentinel\r\n');
    await waitFor(() => state.data.includes('sentinel'), { message: 'the sentinel reply' });
    expect(state.data).toBe('$8\r\nsentinel\r\n');
    const fresh = await rawClient(proxy.port);
    fresh.socket.write('PING\r\n');
    await waitFor(() => fresh.state.data === '+PONG\r\n');
    proxy.resetAll();
    await waitFor(() => redis.status === 'ready' && proxy.connections() === 1, { timeoutMs: 3000 });
    expect(await redis.ping()).toBe('PONG');
  });

  it('reset mode aborts live connections with ECONNRESET and resets new ones', async () => {
    const target = new URL(redisUrl());
    const proxy = await proxyTo(Number(target.port || 6379));
    const first = await rawClient(proxy.port);
    first.socket.write('PING\r\n');
    await waitFor(() => first.state.data === '+PONG\r\n');

    proxy.setMode('reset');
    await waitFor(() => first.state.closed);
    expect(first.state.error?.code).toBe('ECONNRESET');
    await waitFor(() => proxy.connections() === 0);

    const redis = redisVia(proxy);
    const reset = new Promise<NodeJS.ErrnoException>((resolve) => redis.once('error', resolve));
    expect((await reset).code).toBe('ECONNRESET');

    proxy.setMode('pass');
    await waitFor(() => redis.status === 'ready', { timeoutMs: 3000 });
    expect(await redis.ping()).toBe('PONG');
  });

  it('resetAll() aborts live connections but keeps accepting new ones', async () => {
    const proxy = await proxyTo(echoPort);
    const a = await rawClient(proxy.port);
    const b = await rawClient(proxy.port);
    await waitFor(() => proxy.connections() === 2);
    proxy.resetAll();
    await waitFor(() => a.state.closed && b.state.closed);
    expect([a.state.error?.code, b.state.error?.code]).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(proxy.mode).toBe('pass');
    const c = await rawClient(proxy.port);
    c.socket.write('still works');
    await waitFor(() => c.state.data === 'still works');
  });

  it('a target that goes away closes the client side in pass mode', async () => {
    const target = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const proxy = await proxyTo((target.address() as { port: number }).port);
    const { state } = await rawClient(proxy.port);
    await waitFor(() => state.closed);
    await new Promise((resolve) => target.close(resolve));
  });

  describe('in front of Postgres', () => {
    let db: TestSchema;
    beforeAll(async () => {
      db = await createTestSchema('proxy');
    });
    afterAll(() => db.drop());

    it('keeps the search_path of a proxied connection string', async () => {
      const base = new URL(db.connectionString);
      const proxy = await proxyTo(Number(base.port || 5432));
      const client = new pg.Client({ connectionString: proxy.url(db.connectionString) });
      await client.connect();
      cleanup.push(() => client.end());
      const { rows } = await client.query<{ search_path: string }>('show search_path');
      expect(rows[0]?.search_path).toBe(db.schema);
    });
  });
});
