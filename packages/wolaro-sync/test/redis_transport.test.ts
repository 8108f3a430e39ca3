import { redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedError, RedisTransport } from '../src/index.js';

// RedisTransport's own rules on a real Redis: channels asked for before connect() are live once it
// resolves, a client you pass stays yours (its errors are yours to handle), and close() is final.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function transport(options: Partial<ConstructorParameters<typeof RedisTransport>[0]> = {}): RedisTransport {
  const t = new RedisTransport({ redis: redisUrl(), ...options });
  cleanups.push(() => t.close());
  return t;
}

describe('RedisTransport', () => {
  it('subscribes at connect() to the channels asked for before it', async () => {
    const channel = `${uniquePrefix('early')}:c`;
    const sub = transport();
    await sub.subscribe([channel]);
    const got: string[] = [];
    sub.on('message', (c, raw) => got.push(`${c} ${raw}`));
    await sub.connect();
    const pub = transport();
    await pub.connect();
    await pub.publish(channel, 'hello');
    await waitFor(() => got.length === 1, {
      message: 'the message on the channel subscribed before connect',
    });
    expect(got).toEqual([`${channel} hello`]);
  });

  it('leaves the errors of a client you pass, and the client itself, to you', async () => {
    const own = new Redis(redisUrl(), { lazyConnect: true });
    cleanups.push(async () => own.disconnect());
    const seenByOwner: Error[] = [];
    own.on('error', (e) => seenByOwner.push(e));
    const t = transport({ redis: own });
    await t.connect();
    const reported: Error[] = [];
    t.on('error', (e) => reported.push(e));
    own.emit('error', new Error('yours'));
    expect(seenByOwner.map((e) => e.message)).toEqual(['yours']);
    expect(reported).toEqual([]);
    await t.close();
    // The transport's close() leaves the client you passed open.
    expect(own.status).toBe('ready');
    expect(await own.ping()).toBe('PONG');
  });

  it('is unhealthy and refuses to publish or connect once closed; close() twice is fine', async () => {
    const t = transport();
    await t.connect();
    expect(t.healthy).toBe(true);
    await t.close();
    expect(t.healthy).toBe(false);
    await expect(t.publish('c', 'x')).rejects.toBeInstanceOf(ClosedError);
    await expect(t.connect()).rejects.toBeInstanceOf(ClosedError);
    await t.close();
  });

  it('exposes the connection it publishes on as client: the one you passed, or its own', async () => {
    const own = new Redis(redisUrl(), { lazyConnect: true });
    cleanups.push(async () => own.disconnect());
    expect(transport({ redis: own }).client).toBe(own);

    const t = transport();
    await t.connect();
    const channel = `${uniquePrefix('client')}:c`;
    const sub = transport();
    await sub.subscribe([channel]);
    await sub.connect();
    const got: string[] = [];
    sub.on('message', (_c, raw) => got.push(raw));
    // The transport's publishes go out on client.
    const publishes = vi.spyOn(t.client, 'publish');
    await t.publish(channel, 'via the transport');
    expect(publishes).toHaveBeenCalledWith(channel, 'via the transport');
    await t.client.publish(channel, 'sent on client');
    await waitFor(() => got.length === 2);
    expect(got).toEqual(['via the transport', 'sent on client']);
    await t.close();
    await waitFor(() => t.client.status === 'end');
  });
});
