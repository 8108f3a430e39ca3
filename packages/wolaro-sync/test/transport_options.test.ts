import { EventEmitter } from 'eventemitter3';
import { describe, expect, it, vi } from 'vitest';

// What FailoverTransport and MemoryTransport accept as options, and the messages of what they refuse.
// Their option schemas are built when the module loads: each test loads the transports afresh, inside
// the test (vi.resetModules, then import), so that code runs as part of the test that checks it (a
// mutation run then knows which test covers a schema).

async function load() {
  vi.resetModules();
  const [{ FailoverTransport }, { MemoryBus, MemoryTransport }, { InvalidOptionsError }] = await Promise.all([
    import('../src/transports/failover.js'),
    import('../src/transports/memory.js'),
    import('../src/errors.js'),
  ]);
  /** The message and issues of the `InvalidOptionsError` that `build` throws. */
  const refusal = (build: () => unknown): { message: string; issues: readonly string[] } => {
    try {
      build();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidOptionsError);
      return {
        message: (err as Error).message,
        issues: (err as InstanceType<typeof InvalidOptionsError>).issues,
      };
    }
    throw new Error('expected the constructor to throw');
  };
  return { FailoverTransport, MemoryBus, MemoryTransport, refusal };
}

/** Something with four of the five methods a transport needs. */
function without(method: string): object {
  const all: Record<string, () => void> = {};
  for (const m of ['connect', 'subscribe', 'publish', 'close', 'on'])
    if (m !== method) all[m] = () => undefined;
  return all;
}

describe('FailoverTransport options', () => {
  it('accepts one transport or several, and de-duplication limits', async () => {
    const { FailoverTransport, MemoryBus, MemoryTransport } = await load();
    const bus = new MemoryBus();
    const one = new FailoverTransport([new MemoryTransport({ bus })]);
    const two = new FailoverTransport([new MemoryTransport({ bus }), new MemoryTransport({ bus })], {
      dedupeMax: 10,
      dedupeTtlMs: 1000,
    });
    expect([one.name, two.name]).toEqual(['failover(memory)', 'failover(memory,memory)']);
    await Promise.all([one.close(), two.close()]);
  });

  it('refuses an empty list, or no list, naming the class and the problem', async () => {
    const { FailoverTransport, refusal } = await load();
    expect(refusal(() => new FailoverTransport([]))).toEqual({
      message: 'FailoverTransport: invalid options: members: needs at least one transport',
      issues: ['members: needs at least one transport'],
    });
    expect(refusal(() => new FailoverTransport(undefined as never)).issues).toEqual([
      'members: must be an array of transports',
    ]);
  });

  it('refuses every member that is not a transport object with all five methods, by position', async () => {
    const { FailoverTransport, MemoryBus, MemoryTransport, refusal } = await load();
    const functionWithMethods = Object.assign(() => undefined, without('none'));
    const members = [
      new MemoryTransport({ bus: new MemoryBus() }),
      null,
      undefined,
      'redis://127.0.0.1:6379',
      functionWithMethods,
      without('close'),
      without('connect'),
      new EventEmitter(),
    ];
    expect(refusal(() => new FailoverTransport(members as never)).issues).toEqual([
      'members.1: must be a Transport',
      'members.2: must be a Transport',
      'members.3: must be a Transport',
      'members.4: must be a Transport',
      'members.5: must be a Transport',
      'members.6: must be a Transport',
      'members.7: must be a Transport',
    ]);
  });

  it('refuses de-duplication limits that are not positive integers', async () => {
    const { FailoverTransport, MemoryTransport, refusal } = await load();
    const { issues } = refusal(
      () => new FailoverTransport([new MemoryTransport()], { dedupeMax: 0, dedupeTtlMs: 1.5 }),
    );
    expect(issues.map((i) => i.split(':')[0])).toEqual(['dedupeMax', 'dedupeTtlMs']);
  });
});

describe('MemoryTransport options', () => {
  it('accepts a MemoryBus or nothing', async () => {
    const { MemoryBus, MemoryTransport } = await load();
    const transports = [
      new MemoryTransport(),
      new MemoryTransport({}),
      new MemoryTransport({ bus: new MemoryBus() }),
    ];
    expect(transports.map((t) => t.name)).toEqual(['memory', 'memory', 'memory']);
  });

  it('refuses a bus that is not a MemoryBus, naming the class and the problem', async () => {
    const { MemoryTransport, refusal } = await load();
    expect(refusal(() => new MemoryTransport({ bus: new EventEmitter() as never }))).toEqual({
      message: 'MemoryTransport: invalid options: bus: must be a MemoryBus',
      issues: ['bus: must be a MemoryBus'],
    });
  });
});
