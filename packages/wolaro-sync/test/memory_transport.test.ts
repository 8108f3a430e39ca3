import { waitFor } from '@wolaro/test-harness';
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  FailoverTransport,
  MemoryBus,
  MemoryTransport,
  NotConnectedError,
  type Transport,
  type TransportEvents,
} from '../src/index.js';

// The in-process transport's own rules, on a private bus: no delivery before connect() or after
// unsubscribe()/close(), one delivery per message however often a channel is subscribed, and
// nothing left on the bus after close(). Absence is checked against a marker published after.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function connected(bus: MemoryBus): Promise<MemoryTransport> {
  const t = new MemoryTransport({ bus });
  cleanups.push(() => t.close());
  await t.connect();
  return t;
}

function record(t: MemoryTransport): string[] {
  const got: string[] = [];
  t.on('message', (channel, raw) => got.push(`${channel} ${raw}`));
  return got;
}

describe('MemoryTransport', () => {
  it('delivers nothing to a transport subscribed before connect(), then delivers once connected', async () => {
    const bus = new MemoryBus();
    const publisher = await connected(bus);
    const idle = new MemoryTransport({ bus });
    cleanups.push(() => idle.close());
    await idle.subscribe(['c']);
    const got = record(idle);
    await publisher.publish('c', 'before connect');
    await idle.connect();
    await publisher.publish('c', 'marker');
    await waitFor(() => got.includes('c marker'));
    expect(got).toEqual(['c marker']);
  });

  it('drops a message already on its way when the channel is unsubscribed before it lands', async () => {
    const bus = new MemoryBus();
    const publisher = await connected(bus);
    const sub = await connected(bus);
    await sub.subscribe(['c', 'marker']);
    const got = record(sub);
    // Delivery is a microtask: unsubscribing in the same turn as the publish must still stop it.
    const sent = publisher.publish('c', 'in flight');
    const left = sub.unsubscribe(['c']);
    await Promise.all([sent, left]);
    await publisher.publish('marker', 'after');
    await waitFor(() => got.includes('marker after'));
    expect(got).toEqual(['marker after']);
  });

  it('delivers each message once however often a channel is subscribed', async () => {
    const bus = new MemoryBus();
    const publisher = await connected(bus);
    const sub = await connected(bus);
    await sub.subscribe(['c']);
    await sub.subscribe(['c', 'c']);
    expect(bus.listenerCount('c')).toBe(1);
    const got = record(sub);
    await publisher.publish('c', 'one');
    await publisher.publish('c', 'marker');
    await waitFor(() => got.includes('c marker'));
    expect(got).toEqual(['c one', 'c marker']);
  });

  it('leaves the bus and drops its listeners on close(); a closed transport refuses to connect or publish', async () => {
    const bus = new MemoryBus();
    const t = await connected(bus);
    await t.subscribe(['a', 'b']);
    t.on('message', () => undefined);
    expect(bus.listenerCount('a')).toBe(1);
    await t.close();
    expect([bus.listenerCount('a'), bus.listenerCount('b')]).toEqual([0, 0]);
    expect(t.listenerCount('message')).toBe(0);
    expect(t.healthy).toBe(false);
    await expect(t.connect()).rejects.toBeInstanceOf(ClosedError);
    await expect(t.connect()).rejects.toThrow('The transport is closed');
    await expect(t.publish('a', 'x')).rejects.toBeInstanceOf(ClosedError);
    await expect(t.publish('a', 'x')).rejects.toThrow('The transport is closed');
    await t.close(); // idempotent
  });

  it('a second close() does nothing: what was attached after the first one stays', async () => {
    const t = await connected(new MemoryBus());
    await t.close();
    const errors: Error[] = [];
    t.on('error', (e) => errors.push(e));
    await t.close();
    expect(t.listenerCount('error')).toBe(1);
    const late = new Error('late');
    t.emit('error', late);
    expect(errors).toEqual([late]);
  });

  it('refuses to publish before connect() with NotConnectedError, and is unhealthy until then', async () => {
    const t = new MemoryTransport({ bus: new MemoryBus() });
    cleanups.push(() => t.close());
    expect(t.healthy).toBe(false);
    await expect(t.publish('a', 'x')).rejects.toBeInstanceOf(NotConnectedError);
    await t.connect();
    expect(t.healthy).toBe(true);
  });

  it('unsubscribing a channel it never subscribed leaves the other listeners of the bus alone', async () => {
    const bus = new MemoryBus();
    const other = await connected(bus);
    await other.subscribe(['c']);
    const t = await connected(bus);
    await t.unsubscribe(['c']);
    expect(bus.listenerCount('c')).toBe(1);
  });
});

describe('FailoverTransport passes on what its members drop', () => {
  it("re-emits a member's 'invalid' with the channel, reason and sample", async () => {
    class Member extends EventEmitter<TransportEvents> implements Transport {
      readonly name = 'm';
      readonly healthy = true;
      async connect() {}
      async subscribe() {}
      async unsubscribe() {}
      async publish() {}
      async close() {}
    }
    const member = new Member();
    const failover = new FailoverTransport([member]);
    cleanups.push(() => failover.close());
    const invalid: string[][] = [];
    failover.on('invalid', (channel, reason, sample) => invalid.push([channel, reason, sample]));
    member.emit('invalid', 'config:update', 'incomplete chunks', '{"a"');
    expect(invalid).toEqual([['config:update', 'incomplete chunks', '{"a"']]);
  });
});
