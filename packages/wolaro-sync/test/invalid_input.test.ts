import { execFileSync } from 'node:child_process';
import { captureLogger, redisUrl, uniquePrefix, waitFor } from '@wolaro/test-harness';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  channelSchemas,
  decodePayload,
  type InvalidMessage,
  type RedisTransport,
  SyncClient,
} from '../src/index.js';

describe('bad input never crashes a subscriber', () => {
  // Every test gets its own subscriber, prefix, logger and counters: each passes when run alone.
  let prefix: string;
  let logger: ReturnType<typeof captureLogger>;
  let sync: SyncClient;
  let raw: Redis;
  let invalid: InvalidMessage[];
  let handled: unknown[];

  beforeEach(async () => {
    prefix = uniquePrefix('invalid');
    logger = captureLogger();
    invalid = [];
    handled = [];
    sync = new SyncClient({ redis: redisUrl(), keyPrefix: prefix, logger });
    sync.on('invalid', (m) => invalid.push(m));
    sync.subscribe('config:update', (e) => {
      handled.push(e);
    });
    await sync.connect();
    raw = new Redis(redisUrl());
  });

  afterEach(async () => {
    await sync.close();
    raw.disconnect();
  });

  const cases: [string, string][] = [
    ['not JSON', '{"guildId": "123", settings'],
    ['plain text', 'hello'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"config"'],
    ['null', 'null'],
    ['wrong types', '{"guildId":123,"settings":"nope"}'],
    ['missing fields', '{"guildId":"123"}'],
    ['a non-snowflake guild id', '{"guildId":"12a; DROP TABLE guilds","settings":{}}'],
    ['a negative version', '{"guildId":"1","settings":{},"version":-1}'],
    ['a fractional version', '{"guildId":"1","settings":{},"version":1.5}'],
    ['a __proto__ key', '{"guildId":"1","settings":{"__proto__":{"polluted":true}}}'],
    ['a constructor key', '{"guildId":"1","settings":{"constructor":{"prototype":{"x":1}}}}'],
    ['a 1 MB payload', JSON.stringify({ guildId: '1', settings: { blob: 'x'.repeat(1024 * 1024) } })],
  ];

  for (const [label, message] of cases) {
    it(`drops ${label}`, async () => {
      await raw.publish(`${prefix}config:update`, message);
      await waitFor(() => sync.stats().invalid === 1);
      expect(handled).toEqual([]);
      expect(invalid).toHaveLength(1);
      expect(invalid[0]?.channel).toBe('config:update');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  }

  it('drops messages on channels it does not know (shared bus, unknown name)', async () => {
    const other = new SyncClient({ redis: redisUrl(), keyPrefix: prefix, listen: ['guild:reload'] });
    await other.connect();
    try {
      // A transport may hand the client any channel; only the contract's are accepted.
      (other.transport as RedisTransport).emit('message', `${prefix}nope:channel`, '{}');
      expect(other.stats().invalid).toBe(1);
      (other.transport as RedisTransport).emit('message', 'otherprefix:guild:reload', '{"guildId":"1"}');
      expect(other.stats().invalid).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('still handles good messages after the bad ones, and logs warnings rate-limited', async () => {
    for (const [, message] of cases) await raw.publish(`${prefix}config:update`, message);
    await raw.publish(`${prefix}config:update`, '{"guildId":"123","settings":{"prefix":"!"}}');
    await waitFor(() => handled.length === 1);
    expect(sync.stats().invalid).toBe(cases.length);
    expect(handled).toMatchObject([{ guildId: '123', settings: { prefix: '!' } }]);
    expect(logger.count(/^Dropped invalid message/, 'warn')).toBeGreaterThan(0);
    expect(logger.count(/^Dropped invalid message/, 'warn')).toBeLessThan(cases.length);
  });

  it("handles the note's redis-cli PUBLISH step", async () => {
    const before = Date.now();
    execFileSync('redis-cli', [
      '-u',
      redisUrl(),
      'PUBLISH',
      `${prefix}config:update`,
      '{"guildId":"123","settings":{"prefix":"!"}}',
    ]);
    await waitFor(() => handled.length === 1);
    const e = handled[0] as { version?: number; timestamp: number };
    expect(e.version).toBeUndefined(); // unversioned: always applied
    // No timestamp on the wire: the subscriber stamps it on receipt.
    expect(e.timestamp).toBeGreaterThanOrEqual(before);
    expect(e.timestamp).toBeLessThanOrEqual(Date.now());
  });
});

describe('decodePayload (property-based)', () => {
  const schema = channelSchemas['config:update'];

  it('never throws and accepts only what the schema accepts', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (raw) => {
          const result = decodePayload(schema, raw);
          if (result.ok) {
            const again = schema.safeParse(JSON.parse(raw));
            expect(again.success).toBe(true);
          } else {
            expect(typeof result.reason).toBe('string');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips every valid payload', () => {
    const snowflake = fc.stringMatching(/^\d{1,20}$/);
    const payload = fc.record({
      guildId: snowflake,
      settings: fc.dictionary(
        fc.string().filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)),
        fc.jsonValue(),
      ),
      version: fc.option(fc.nat(), { nil: undefined }),
      timestamp: fc.nat(),
    });
    fc.assert(
      fc.property(payload, (p) => {
        const clean = JSON.parse(JSON.stringify(p));
        const result = decodePayload(schema, JSON.stringify(clean));
        if (JSON.stringify(clean).match(/__proto__|constructor|prototype/)) return; // refused by design
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.value).toMatchObject(clean);
      }),
      { numRuns: 1000 },
    );
  });
});
