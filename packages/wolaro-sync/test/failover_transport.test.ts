import { sleep, waitFor } from '@wolaro/test-harness';
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FailoverTransport,
  InvalidOptionsError,
  MemoryBus,
  MemoryTransport,
  PublishFailedError,
  type Transport,
  type TransportEvents,
} from '../src/index.js';

// The failover transport's own rules, deterministically: which member a publish goes to, when the
// pair counts as down or up, and the de-duplication of an event that arrives on two members (the
// chaos tests cover the same with a real Redis and Postgres).

/**
 * A member whose health and failures the test sets, around a real MemoryTransport: `fail` makes
 * connect/subscribe/publish reject, `goDown()`/`comeUp()` emit what a real transport emits.
 */
class ScriptedMember extends EventEmitter<TransportEvents> implements Transport {
  readonly inner: MemoryTransport;
  healthy = true;
  fail: { connect?: Error; subscribe?: Error; publish?: Error } = {};
  readonly published: string[] = [];
  /** Calls of publish(), failed ones included. */
  publishCalls = 0;
  closed = false;

  constructor(
    readonly name: string,
    bus: MemoryBus,
  ) {
    super();
    this.inner = new MemoryTransport({ bus });
    this.inner.on('message', (channel, raw) => this.emit('message', channel, raw));
  }
  async connect(): Promise<void> {
    if (this.fail.connect) throw this.fail.connect;
    await this.inner.connect();
  }
  async subscribe(channels: readonly string[]): Promise<void> {
    if (this.fail.subscribe) throw this.fail.subscribe;
    await this.inner.subscribe(channels);
  }
  async unsubscribe(channels: readonly string[]): Promise<void> {
    await this.inner.unsubscribe(channels);
  }
  async publish(channel: string, message: string): Promise<void> {
    this.publishCalls++;
    if (this.fail.publish) throw this.fail.publish;
    this.published.push(message);
    await this.inner.publish(channel, message);
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }
  goDown(message = 'lost'): Error {
    const err = new Error(message);
    this.healthy = false;
    this.emit('down', err);
    return err;
  }
  comeUp(): void {
    this.healthy = true;
    this.emit('up', { downtimeMs: 5 });
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

/** Two buses (think Redis and Postgres), a failover subscriber on both, and a plain publisher on each. */
async function pair(options: ConstructorParameters<typeof FailoverTransport>[1] = {}) {
  const busA = new MemoryBus();
  const busB = new MemoryBus();
  const a = new ScriptedMember('a', busA);
  const b = new ScriptedMember('b', busB);
  const failover = new FailoverTransport([a, b], options);
  const onA = new MemoryTransport({ bus: busA });
  const onB = new MemoryTransport({ bus: busB });
  cleanups.push(
    () => failover.close(),
    () => onA.close(),
    () => onB.close(),
  );
  await Promise.all([failover.connect(), onA.connect(), onB.connect()]);
  await failover.subscribe(['config:update', 'guild:reload']);
  const received: string[] = [];
  failover.on('message', (channel, raw) => received.push(`${channel} ${raw}`));
  let sentinels = 0;
  /** Sends a sentinel on each bus, after what was sent so far, and waits for both. */
  const drain = async () => {
    sentinels++;
    await onA.publish('guild:reload', JSON.stringify({ eventId: `sentinel-a-${sentinels}` }));
    await onB.publish('guild:reload', JSON.stringify({ eventId: `sentinel-b-${sentinels}` }));
    await waitFor(
      () =>
        received.some((r) => r.includes(`sentinel-a-${sentinels}`)) &&
        received.some((r) => r.includes(`sentinel-b-${sentinels}`)),
      { message: 'the sentinels on both buses' },
    );
    return received.filter((r) => !r.includes('"sentinel-'));
  };
  return { a, b, failover, onA, onB, received, drain };
}

const event = (id: string, extra = '') => `{"eventId":"${id}","guildId":"1"${extra}}`;

describe('FailoverTransport de-duplication', () => {
  it('delivers an event that arrives on both members once', async () => {
    const { onA, onB, drain } = await pair();
    await onA.publish('config:update', event('e1'));
    await onB.publish('config:update', event('e1'));
    await onB.publish('config:update', event('e2'));
    await onA.publish('config:update', event('e2'));
    expect(await drain()).toEqual([`config:update ${event('e1')}`, `config:update ${event('e2')}`]);
  });

  it('drops a copy on the same member too, but keeps the same id on another channel', async () => {
    const { onA, drain } = await pair();
    await onA.publish('config:update', event('e1'));
    await onA.publish('config:update', event('e1', ',"again":true'));
    await onA.publish('guild:reload', event('e1'));
    expect(await drain()).toEqual([`config:update ${event('e1')}`, `guild:reload ${event('e1')}`]);
  });

  it('never drops messages without an event id', async () => {
    const { onA, onB, drain } = await pair();
    await onA.publish('config:update', '{"guildId":"1"}');
    await onB.publish('config:update', '{"guildId":"1"}');
    expect(await drain()).toEqual(['config:update {"guildId":"1"}', 'config:update {"guildId":"1"}']);
  });

  it('remembers at most dedupeMax ids', async () => {
    const { onA, onB, drain } = await pair({ dedupeMax: 1 });
    await onA.publish('config:update', event('e1'));
    await onA.publish('config:update', event('e2'));
    // e1 was pushed out by e2 (and by the sentinels): its second copy gets through
    await drain();
    await onB.publish('config:update', event('e1'));
    expect(await drain()).toEqual([
      `config:update ${event('e1')}`,
      `config:update ${event('e2')}`,
      `config:update ${event('e1')}`,
    ]);
  });

  it('remembers an id for dedupeTtlMs', async () => {
    const { onA, onB, drain } = await pair({ dedupeTtlMs: 1 });
    await onA.publish('config:update', event('e1'));
    await drain();
    await sleep(20);
    await onB.publish('config:update', event('e1'));
    expect(await drain()).toEqual([`config:update ${event('e1')}`, `config:update ${event('e1')}`]);
  });

  it('by default remembers many ids for long', async () => {
    const { onA, onB, drain } = await pair();
    for (let i = 0; i < 200; i++) await onA.publish('config:update', event(`e${i}`));
    await drain();
    await sleep(20);
    for (let i = 0; i < 200; i++) await onB.publish('config:update', event(`e${i}`));
    expect(await drain()).toHaveLength(200);
  });
});

describe('FailoverTransport publish', () => {
  it('publishes on the first healthy member only', async () => {
    const { a, b, failover } = await pair();
    await failover.publish('config:update', event('p1'));
    expect([a.published, b.published]).toEqual([[event('p1')], []]);
    a.healthy = false;
    await failover.publish('config:update', event('p2'));
    expect([a.published, b.published]).toEqual([[event('p1')], [event('p2')]]);
  });

  it('falls through to the next member when a publish fails, unhealthy ones last', async () => {
    const { a, b, failover } = await pair();
    a.fail.publish = new Error('a refused');
    await failover.publish('config:update', event('p1'));
    expect(b.published).toEqual([event('p1')]);

    // b is unhealthy but a is failing: b is still tried as a last resort
    b.healthy = false;
    await failover.publish('config:update', event('p2'));
    expect(b.published).toEqual([event('p1'), event('p2')]);

    // a healthy but unhealthy b first in the list: a is tried first
    a.fail = {};
    const flipped = new FailoverTransport([b, a]);
    await flipped.publish('config:update', event('p3'));
    expect([a.published, b.published]).toEqual([[event('p3')], [event('p1'), event('p2')]]);
  });

  it('fails with PublishFailedError, caused by the last error, when every member fails', async () => {
    const { a, b, failover } = await pair();
    a.fail.publish = new Error('a refused');
    b.fail.publish = new Error('b refused');
    const err = await failover.publish('config:update', event('p1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishFailedError);
    expect((err as Error).message).toBe('Publish on "config:update" failed on every transport');
    expect((err as Error).cause).toBe(b.fail.publish);
  });

  it("keeps its own list of members: one pushed onto the caller's array later gets nothing", async () => {
    const members: Transport[] = [new ScriptedMember('a', new MemoryBus())];
    const failover = new FailoverTransport(members);
    cleanups.push(() => failover.close());
    const late = new ScriptedMember('late', new MemoryBus());
    members.push(late);
    await failover.connect();
    await failover.publish('config:update', event('p0'));
    expect(failover.members).toHaveLength(1);
    expect(late.publishCalls).toBe(0);
  });

  it('tries each member once per publish, healthy ones first, however many fail', async () => {
    const { a, b, failover } = await pair();
    a.fail.publish = new Error('a refused');
    b.fail.publish = new Error('b refused');
    await expect(failover.publish('config:update', event('p1'))).rejects.toBeInstanceOf(PublishFailedError);
    expect([a.publishCalls, b.publishCalls]).toEqual([1, 1]);

    // a unhealthy: b first, then a as the last resort, whose error is the cause
    a.healthy = false;
    const err = await failover.publish('config:update', event('p2')).catch((e: unknown) => e);
    expect((err as Error).cause).toBe(a.fail.publish);
    expect([a.publishCalls, b.publishCalls]).toEqual([2, 2]);
  });
});

describe('FailoverTransport health', () => {
  it('is healthy while any member is, and down only when every member is', async () => {
    const { a, b, failover } = await pair();
    const events: string[] = [];
    failover.on('down', (e) => events.push(`down ${e.message}`));
    failover.on('up', () => events.push('up'));
    failover.on('error', (e) => events.push(`error ${e.message}`));
    expect(failover.healthy).toBe(true);

    a.goDown('a lost');
    expect(failover.healthy).toBe(true);
    expect(events).toEqual(['error a transport down: a lost']);

    b.goDown('b lost');
    expect(failover.healthy).toBe(false);
    expect(events).toEqual([
      'error a transport down: a lost',
      'error b transport down: b lost',
      'down b lost',
    ]);

    a.comeUp();
    expect(failover.healthy).toBe(true);
    expect(events.slice(3)).toEqual(['up']);

    // a member back while the pair was never down: `up` is passed on (the client resyncs)
    b.comeUp();
    expect(events.slice(4)).toEqual(['up']);
    expect(failover.members).toEqual([a, b]);
    expect(failover.name).toBe('failover(a,b)');
  });

  it("reports a member's outage as an error caused by the member's own error", async () => {
    const { a, failover } = await pair();
    const errors: Error[] = [];
    failover.on('error', (e) => errors.push(e));
    const lost = a.goDown('connection reset');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe('a transport down: connection reset');
    expect(errors[0]?.cause).toBe(lost);
  });

  it('goes down again on a second outage of every member, and comes back up again', async () => {
    const { a, b, failover } = await pair();
    const events: string[] = [];
    failover.on('down', (e) => events.push(`down ${e.message}`));
    failover.on('up', () => events.push('up'));
    for (const round of [1, 2]) {
      a.goDown(`a lost ${round}`);
      b.goDown(`b lost ${round}`);
      b.comeUp();
      a.comeUp();
    }
    // per round: down when the last member goes, up when the first comes back, and a plain `up`
    // passed on for the second member (the client resyncs)
    expect(events).toEqual(['down b lost 1', 'up', 'up', 'down b lost 2', 'up', 'up']);
  });

  it('passes on member errors', async () => {
    const { a, failover } = await pair();
    const errors: Error[] = [];
    failover.on('error', (e) => errors.push(e));
    const boom = new Error('boom');
    a.emit('error', boom);
    expect(errors).toEqual([boom]);
  });
});

describe('FailoverTransport connect, subscribe, close', () => {
  it('connects when one member does, reporting the other as an error', async () => {
    const a = new ScriptedMember('a', new MemoryBus());
    const b = new ScriptedMember('b', new MemoryBus());
    a.fail.connect = new Error('a unreachable');
    const failover = new FailoverTransport([a, b]);
    cleanups.push(() => failover.close());
    const errors: Error[] = [];
    failover.on('error', (e) => errors.push(e));
    await failover.connect();
    expect(errors).toEqual([a.fail.connect]);
  });

  it('fails to connect with every cause when no member connects', async () => {
    const a = new ScriptedMember('a', new MemoryBus());
    const b = new ScriptedMember('b', new MemoryBus());
    a.fail.connect = new Error('a unreachable');
    b.fail.connect = new Error('b unreachable');
    const failover = new FailoverTransport([a, b]);
    cleanups.push(() => failover.close());
    const err = await failover.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).message).toBe('Every failover transport failed to connect');
    expect((err as AggregateError).errors).toEqual([a.fail.connect, b.fail.connect]);
  });

  it('subscribes when one member does, and fails with the first error when none does', async () => {
    const { a, b, failover, onB, drain } = await pair();
    a.fail.subscribe = new Error('a cannot subscribe');
    await failover.subscribe(['module:toggle']);
    await onB.publish('module:toggle', event('m1'));
    expect(await drain()).toEqual([`module:toggle ${event('m1')}`]);

    b.fail.subscribe = new Error('b cannot subscribe');
    await expect(failover.subscribe(['member:update'])).rejects.toBe(a.fail.subscribe);
  });

  it('stops delivery after unsubscribe on every member', async () => {
    const { failover, onA, onB, drain } = await pair();
    await failover.unsubscribe(['config:update']);
    await onA.publish('config:update', event('u1'));
    await onB.publish('config:update', event('u2'));
    expect(await drain()).toEqual([]);
  });

  it('closes every member and drops its listeners', async () => {
    const { a, b, failover } = await pair();
    let errors = 0;
    failover.on('error', () => errors++);
    await failover.close();
    expect([a.closed, b.closed]).toEqual([true, true]);
    a.emit('error', new Error('after close'));
    expect(errors).toBe(0);
  });

  it('refuses an empty member list and things that are not transports', () => {
    expect(() => new FailoverTransport([])).toThrow(InvalidOptionsError);
    expect(() => new FailoverTransport([])).toThrow(/needs at least one transport/);
    expect(() => new FailoverTransport([{} as Transport])).toThrow(/must be a Transport/);
    expect(() => new FailoverTransport([new MemoryTransport()], { dedupeMax: 0 })).toThrow(/dedupeMax/);
  });
});
