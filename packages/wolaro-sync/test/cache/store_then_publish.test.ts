import { redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisTransport } from '../../src/index.js';
import { defer, manager, useCleanup } from './helpers.js';

useCleanup();

// A cache on the connection the events are published on (RedisTransport.client): while Redis is up
// a store is sent before set/setJSON/invalidate return, so Redis runs it before a publish sent
// right after it on that connection, and the writer need not wait for the store's answer.

/** The commands clients send that name `mark` (a key prefix or a channel), in the order Redis runs them. */
async function monitor(mark: string): Promise<{ lines: string[][] }> {
  const client = new Redis(redisUrl(), { lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  const mon = await client.monitor();
  defer(() => {
    mon.disconnect();
    client.disconnect();
  });
  const lines: string[][] = [];
  mon.on('monitor', (_time: string, args: string[], source: string) => {
    // Not the commands a script runs (source "lua"): the ones clients send.
    if (source !== 'lua' && args.some((a) => a.includes(mark))) lines.push(args);
  });
  return { lines };
}

async function transportOn(
  options: ConstructorParameters<typeof RedisTransport>[0],
): Promise<RedisTransport> {
  const transport = new RedisTransport(options);
  defer(() => transport.close());
  await transport.connect();
  return transport;
}

describe('a cache on the transport’s publishing connection', () => {
  it('has each store run before the publish sent right after it, with no wait in between', async () => {
    const mark = uniquePrefix('stp');
    const transport = await transportOn({ redis: redisUrl() });
    const cache = await manager({ redis: transport.client, keyPrefix: `${mark}:` });
    const { lines } = await monitor(mark);
    const stores: Promise<boolean>[] = [];
    for (let v = 1; v <= 20; v++) {
      // Not awaited: the store is on the wire before the publish is asked for.
      stores.push(v % 2 === 0 ? cache.setJSON('cfg', { v }, { version: v }) : cache.invalidate('cfg', v));
      await transport.publish(`${mark}:events`, String(v));
    }
    expect(await Promise.all(stores)).toEqual(Array.from({ length: 20 }, () => true));
    await waitFor(() => lines.length >= 40);
    const order = lines.map(([command, ...args]) =>
      command?.toLowerCase() === 'publish' ? `publish ${args[1]}` : `store ${args[3]}`,
    );
    expect(order).toEqual(
      Array.from({ length: 20 }, (_, i) => [`store ${i + 1}`, `publish ${i + 1}`]).flat(),
    );
    expect(await cache.getJSON('cfg')).toEqual({ v: 20 });
  });

  it('is the client given to the transport, or the one it created and closes with it', async () => {
    const given = new Redis(redisUrl(), { lazyConnect: true });
    defer(() => given.disconnect());
    const onGiven = await transportOn({ redis: given });
    expect(onGiven.client).toBe(given);

    const created = await transportOn({ redis: redisUrl() });
    expect(created.client.status).toBe('ready');
    const cache = await manager({ redis: created.client });
    await cache.close();
    // The cache does not own it: the transport still publishes on it.
    expect(created.client.status).toBe('ready');
    await created.publish(uniquePrefix('stp-c'), 'still open');
    await created.close();
    await waitFor(() => created.client.status === 'end');
    await given.ping(); // a client you pass stays yours: open after the transport closed
    await onGiven.close();
    expect(await given.ping()).toBe('PONG');
  });
});
