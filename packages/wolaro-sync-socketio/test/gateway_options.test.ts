import { MemoryBus, MemoryTransport, SyncClient } from '@wolaro/sync';
import { captureLogger } from '@wolaro/test-harness';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AttachSyncOptions,
  attachSync,
  DefaultAttachSyncOptions,
  jwtVerifier,
  type SyncGateway,
} from '../src/index.js';
import { SECRET } from './helpers.js';

// Narrow unit: attachSync's option check, on a Socket.io server that never listens and a SyncClient
// on an in-memory bus (no Redis needed). Accepted options are attached, then the gateway is closed.

const attached: SyncGateway[] = [];
afterEach(async () => {
  for (const gateway of attached.splice(0)) await gateway.close();
});

const PREFIX = 'attachSync: invalid options: ';

function base(): AttachSyncOptions {
  return {
    sync: new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) }),
    verifyToken: jwtVerifier({ secret: SECRET }),
    authorize: () => true,
  };
}

/** attachSync with `base()` plus `extra`; returns the message of the TypeError it throws. */
function refused(extra: Record<string, unknown>): string {
  return refusedRaw({ ...base(), ...extra });
}

function refusedRaw(options: unknown): string {
  let gateway: SyncGateway;
  try {
    gateway = attachSync(new Server(), options as AttachSyncOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    return (err as Error).message;
  }
  attached.push(gateway);
  throw new Error(`options were accepted: ${Object.keys(options as object).join(', ')}`);
}

/** attachSync with `base()` plus `extra` must accept them. */
function accepts(extra: Record<string, unknown>): SyncGateway {
  const gateway = attachSync(new Server(), { ...base(), ...extra } as AttachSyncOptions);
  attached.push(gateway);
  return gateway;
}

/** The message names exactly one problem, at `path` (e.g. `rateLimit.burst`). */
function expectOneIssueAt(message: string, path: string): void {
  expect(message).toMatch(new RegExp(`^attachSync: invalid options: ${path.replaceAll('.', '\\.')}: [^;]+$`));
}

const noop = () => {};
const methods = { debug: noop, info: noop, warn: noop, error: noop };

describe('attachSync options: the options argument itself', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'options'],
    ['a number', 42],
  ])('refuses %s as options with a readable error', (_name, value) => {
    expect(refusedRaw(value)).toBe('attachSync: options must be an object');
  });

  it('refuses an array as options, naming the root (there is no option name to blame)', () => {
    expect(refusedRaw([])).toMatch(/^attachSync: invalid options: \(root\): \S/);
  });
});

describe('attachSync options: callbacks', () => {
  it.each(['verifyToken', 'authorize', 'listGuilds', 'authorizeRooms', 'authorizeGuilds', 'clientAddress'])(
    'refuses %s when it is not a function, naming the option',
    (name) => {
      expect(refused({ [name]: 'not a function' })).toBe(`${PREFIX}${name}: ${name} must be a function`);
      expect(refused({ [name]: { call: noop } })).toBe(`${PREFIX}${name}: ${name} must be a function`);
    },
  );

  it('lists every wrong callback in one error, in the order of the options', () => {
    const bad = {
      verifyToken: 1,
      authorize: 1,
      listGuilds: 1,
      authorizeRooms: 1,
      authorizeGuilds: 1,
      clientAddress: 1,
    };
    expect(refused(bad)).toBe(
      PREFIX +
        Object.keys(bad)
          .map((name) => `${name}: ${name} must be a function`)
          .join('; '),
    );
  });

  it('accepts every optional callback given as a function', () => {
    expect(() =>
      accepts({
        listGuilds: () => [],
        authorizeRooms: (pairs: unknown) => pairs,
        authorizeGuilds: () => [],
        clientAddress: () => '127.0.0.1',
      }),
    ).not.toThrow();
  });
});

describe('attachSync options: sync', () => {
  const { subscribe, on, channels } = { subscribe: noop, on: noop, channels: {} };
  it.each([
    ['null', null],
    ['a function', Object.assign(() => {}, { subscribe, on, channels })],
    ['an object without subscribe', { on, channels }],
    ['an object whose subscribe is not a function', { subscribe: 'x', on, channels }],
    ['an object without on', { subscribe, channels }],
    ['an object without channels', { subscribe, on }],
    ['an object whose channels is a string', { subscribe, on, channels: 'config' }],
  ])('refuses %s as sync', (_name, sync) => {
    expect(refused({ sync })).toBe(`${PREFIX}sync: must be a SyncClient`);
  });

  it('accepts a SyncClient (the only required options: sync, verifyToken, authorize)', () => {
    expect(() => accepts({})).not.toThrow();
  });
});

describe('attachSync options: logger', () => {
  const message = `${PREFIX}logger: must have debug/info/warn/error methods`;
  it.each([
    ['null', null],
    ['a string', 'debug'],
    ['an empty object', {}],
    ['an object without error', { debug: noop, info: noop, warn: noop }],
    ['an object without debug', { info: noop, warn: noop, error: noop }],
    ['an object whose warn is not a function', { ...methods, warn: 'x' }],
    ['a function carrying the four methods', Object.assign(() => {}, methods)],
  ])('refuses %s as logger', (_name, logger) => {
    expect(refused({ logger })).toBe(message);
  });

  it('accepts a pino-compatible logger and logs to it', () => {
    const logger = captureLogger();
    accepts({ logger });
    expect(
      logger.has('attachSync: no allowedOrigins, Socket.io handshakes from any origin are accepted', 'warn'),
    ).toBe(true);
  });
});

describe('attachSync options: allowedOrigins', () => {
  it('refuses each entry that is not an origin, with the reason, under allowedOrigins', () => {
    expect(refused({ allowedOrigins: ['wolaro.fr', 'https://ok.wolaro.fr', 'ftp://x'] })).toBe(
      `${PREFIX}allowedOrigins: "wolaro.fr" is not an origin (expected e.g. https://wolaro.fr); ` +
        'allowedOrigins: "ftp://x" is not an origin (scheme://host[:port], no path)',
    );
  });
});

describe('attachSync options: rateLimit', () => {
  it.each([
    ['false (off)', false],
    ['the default', DefaultAttachSyncOptions.rateLimit],
    ['the smallest burst', { perSecond: 0.001, burst: 1 }],
    ['a large burst', { perSecond: 1000, burst: 10_000 }],
  ])('accepts %s', (_name, rateLimit) => {
    expect(() => accepts({ rateLimit })).not.toThrow();
  });

  it.each([
    ['true', true, 'rateLimit'],
    ['a zero rate', { perSecond: 0, burst: 1 }, 'rateLimit.perSecond'],
    ['a negative rate', { perSecond: -1, burst: 1 }, 'rateLimit.perSecond'],
    ['an infinite rate', { perSecond: Number.POSITIVE_INFINITY, burst: 1 }, 'rateLimit.perSecond'],
    ['a zero burst', { perSecond: 1, burst: 0 }, 'rateLimit.burst'],
    ['a fractional burst', { perSecond: 1, burst: 1.5 }, 'rateLimit.burst'],
  ])('refuses %s, naming the field', (_name, rateLimit, path) => {
    expectOneIssueAt(refused({ rateLimit }), path);
  });

  it('says what it expects instead of "Invalid input"', () => {
    expect(refused({ rateLimit: true })).toBe(`${PREFIX}rateLimit: must be false or { perSecond, burst }`);
    expect(refused({ rateLimit: {} })).toBe(
      `${PREFIX}rateLimit.perSecond: Invalid input: expected number, received undefined; ` +
        'rateLimit.burst: Invalid input: expected number, received undefined',
    );
  });
});

describe('attachSync options: connectionRateLimit', () => {
  it.each([
    ['false (both off)', false],
    ['the default', DefaultAttachSyncOptions.connectionRateLimit],
    ['an empty object (defaults apply)', {}],
    ['each limit off', { perIp: false, perUser: false }],
    ['the smallest values', { perIp: 1, perUser: 1, windowMs: 1 }],
    ['the largest window', { perIp: 300, perUser: 50, windowMs: 2_147_483_647 }],
  ])('accepts %s', (_name, connectionRateLimit) => {
    expect(() => accepts({ connectionRateLimit })).not.toThrow();
  });

  it.each([
    ['true', true, 'connectionRateLimit'],
    ['perIp 0', { perIp: 0 }, 'connectionRateLimit.perIp'],
    ['perIp true', { perIp: true }, 'connectionRateLimit.perIp'],
    ['perIp 1.5', { perIp: 1.5 }, 'connectionRateLimit.perIp'],
    ['perUser 0', { perUser: 0 }, 'connectionRateLimit.perUser'],
    ['perUser true', { perUser: true }, 'connectionRateLimit.perUser'],
    ['windowMs 0', { windowMs: 0 }, 'connectionRateLimit.windowMs'],
    ['windowMs past a timer', { windowMs: 2_147_483_648 }, 'connectionRateLimit.windowMs'],
  ])('refuses %s, naming the field', (_name, connectionRateLimit, path) => {
    expectOneIssueAt(refused({ connectionRateLimit }), path);
  });

  it('says what a limit may be', () => {
    expect(refused({ connectionRateLimit: { perIp: 'x' } })).toBe(
      `${PREFIX}connectionRateLimit.perIp: must be false or an integer >= 1`,
    );
    expect(refused({ connectionRateLimit: 1 })).toBe(
      `${PREFIX}connectionRateLimit: must be false or { perIp?, perUser?, windowMs? }`,
    );
  });

  it('names every wrong field, joined by "; "', () => {
    const message = refused({ connectionRateLimit: { perIp: 0, perUser: 0, windowMs: 0 } });
    expect(message.startsWith(PREFIX)).toBe(true);
    expect(
      message
        .slice(PREFIX.length)
        .split('; ')
        .map((issue) => issue.split(': ')[0]),
    ).toEqual(['connectionRateLimit.perIp', 'connectionRateLimit.perUser', 'connectionRateLimit.windowMs']);
  });
});

describe('attachSync options: callbackTimeoutMs and the defaults', () => {
  it.each([1, 5000, 2_147_483_647])('accepts callbackTimeoutMs %d', (callbackTimeoutMs) => {
    expect(() => accepts({ callbackTimeoutMs })).not.toThrow();
  });

  it.each([0, -1, 1.5, 2_147_483_648])('refuses callbackTimeoutMs %d', (callbackTimeoutMs) => {
    expectOneIssueAt(refused({ callbackTimeoutMs }), 'callbackTimeoutMs');
  });

  it('accepts every option at once, the documented defaults included', () => {
    expect(() =>
      accepts({
        ...DefaultAttachSyncOptions,
        listGuilds: () => [],
        authorizeRooms: (pairs: unknown) => pairs,
        authorizeGuilds: () => [],
        allowedOrigins: ['https://wolaro.fr', 'http://localhost:5173'],
        clientAddress: () => '127.0.0.1',
        logger: { ...methods },
      }),
    ).not.toThrow();
  });
});
