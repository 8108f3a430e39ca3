import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  pingRedis,
  processAlive,
  type RedisServerHandle,
  startRedisServer,
  waitFor,
} from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

describe('startRedisServer', () => {
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });
  const client = (server: RedisServerHandle, options: { commandTimeout?: number } = {}) => {
    const redis = new Redis(server.url, { retryStrategy: () => 20, maxRetriesPerRequest: null, ...options });
    redis.on('error', () => {});
    cleanup.push(() => redis.disconnect());
    return redis;
  };

  it('kill + restart on the same port: an ioredis client reconnects by itself', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    const redis = client(server);
    await redis.set('k', 'v');
    expect(await redis.get('k')).toBe('v');
    const { port } = server;
    const firstPid = server.pid!;

    const closed = new Promise((resolve) => redis.once('close', resolve));
    await server.kill();
    await closed;
    expect(processAlive(firstPid)).toBe(false);
    expect(server.running).toBe(false);
    expect(server.pid).toBeUndefined();
    expect(await pingRedis('127.0.0.1', port, 200)).toBe(false);

    await server.restart();
    expect(server.port).toBe(port);
    expect(server.url).toBe(`redis://127.0.0.1:${port}`);
    expect(server.pid).not.toBe(firstPid);
    await waitFor(() => redis.status === 'ready', { timeoutMs: 5000 });
    expect(await redis.get('k')).toBeNull(); // no persistence
    await redis.set('k', 'again');
    expect(await redis.get('k')).toBe('again');
  });

  it('pause makes commands time out, resume answers again', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    const redis = client(server, { commandTimeout: 200 });
    expect(await redis.ping()).toBe('PONG');

    await server.pause();
    expect(server.paused).toBe(true);
    const started = Date.now();
    await expect(redis.ping()).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    await server.resume();
    expect(server.paused).toBe(false);
    expect(await redis.ping()).toBe('PONG');
  });

  it('stop() terminates even a paused server and is idempotent', async () => {
    const server = await startRedisServer();
    const pid = server.pid!;
    await server.pause();
    await server.stop();
    expect(processAlive(pid)).toBe(false);
    await server.stop();
    await server.kill();
    expect(server.running).toBe(false);
  });

  it('refuses a port that another Redis already serves', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    await expect(startRedisServer({ port: server.port })).rejects.toThrow(/already served/);
  });

  it('does not leak: the server dies with a SIGKILLed owner process', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/own_redis.ts', import.meta.url));
    const owner = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => owner.kill('SIGKILL'));
    let out = '';
    owner.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const pid = Number(await waitFor(() => /pid=(\d+)/.exec(out)?.[1], { timeoutMs: 8000 }));
    expect(processAlive(pid)).toBe(true);
    owner.kill('SIGKILL');
    await waitFor(() => !processAlive(pid), {
      timeoutMs: 3000,
      message: `redis-server ${pid} to die with its owner`,
    });
  });
});
