import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { channelSchemas, DEFAULT_MAX_PAYLOAD_BYTES, decodePayload, defineChannels } from '../src/index.js';
import { formatIssues } from '../src/internal/format_issues.js';

// Narrow unit tests of the wire contract: the codec's edges and defineChannels' checks.

const schema = channelSchemas['guild:reload'];
const reload = (extra: Record<string, unknown> = {}) => JSON.stringify({ guildId: '1', ...extra });

describe('decodePayload', () => {
  it('accepts a message of exactly maxBytes and refuses one byte more (ASCII)', () => {
    const raw = reload({ reason: '' });
    const pad = (n: number) => reload({ reason: 'x'.repeat(n) });
    const exact = pad(100 - raw.length);
    expect(exact.length).toBe(100);
    expect(decodePayload(schema, exact, 100)).toMatchObject({ ok: true });
    expect(decodePayload(schema, pad(101 - raw.length), 100)).toEqual({
      ok: false,
      reason: 'payload over 100 bytes',
    });
  });

  it('measures UTF-8 bytes, not string length', () => {
    const base = reload({ reason: '' }).length; // ASCII only
    // 'é' is 1 UTF-16 unit but 2 UTF-8 bytes.
    const fits = reload({ reason: 'é'.repeat(30) }); // base + 60 bytes
    expect(decodePayload(schema, fits, base + 60)).toMatchObject({ ok: true });
    expect(decodePayload(schema, fits, base + 59)).toEqual({
      ok: false,
      reason: `payload over ${base + 59} bytes`,
    });
    // Longer in units than the limit in bytes: refused without measuring.
    expect(decodePayload(schema, reload({ reason: 'x'.repeat(50) }), 40)).toMatchObject({ ok: false });
  });

  it('uses 256 KiB by default', () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(256 * 1024);
    const big = reload({ reason: 'x'.repeat(300) });
    expect(decodePayload(z.object({ guildId: z.string(), reason: z.string() }), big)).toMatchObject({
      ok: true,
    });
    const tooBig = JSON.stringify({ guildId: '1', blob: 'x'.repeat(256 * 1024) });
    expect(decodePayload(z.object({ guildId: z.string() }).loose(), tooBig)).toEqual({
      ok: false,
      reason: `payload over ${256 * 1024} bytes`,
    });
  });

  it('says why: not a string, not JSON, not an object', () => {
    expect(decodePayload(schema, 42 as unknown as string)).toEqual({ ok: false, reason: 'not a string' });
    expect(decodePayload(schema, '{"guildId":')).toEqual({ ok: false, reason: 'not JSON' });
    for (const raw of ['[]', 'null', '5', '"s"', 'true']) {
      expect(decodePayload(schema, raw), raw).toEqual({ ok: false, reason: 'not a JSON object' });
    }
  });

  it('refuses a prototype-polluting key at any depth, but not the words as values or inside keys', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const nested = `{"guildId":"1","reason":"r","x":{"y":{"${key}":{"polluted":true}}}}`;
      expect(decodePayload(schema.loose(), nested), key).toEqual({
        ok: false,
        reason: 'forbidden key (__proto__/constructor/prototype)',
      });
    }
    expect(decodePayload(schema, reload({ reason: 'constructor __proto__ prototype' }))).toMatchObject({
      ok: true,
      value: { reason: 'constructor __proto__ prototype' },
    });
    expect(decodePayload(schema.loose(), reload({ myconstructor: 1, prototypes: 2 }))).toMatchObject({
      ok: true,
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reports schema failures as path: message', () => {
    const r = decodePayload(schema, '{"guildId":"12a"}');
    expect(r).toEqual({ ok: false, reason: 'guildId: must be a Discord snowflake (1-20 digits)' });
    // Several issues: one line each, joined with '; '.
    expect(decodePayload(schema, '{"guildId":"x","reason":5}')).toEqual({
      ok: false,
      reason:
        'guildId: must be a Discord snowflake (1-20 digits); reason: Invalid input: expected string, received number',
    });
    const nested = z.object({ a: z.object({ b: z.number() }) });
    expect(decodePayload(nested, '{"a":{"b":"x"}}')).toMatchObject({ ok: false, reason: /^a\.b: / });
  });

  it('returns the parsed value with its defaults', () => {
    const before = Date.now();
    const r = decodePayload(schema, reload());
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.guildId).toBe('1');
    expect(r.value.timestamp).toBeGreaterThanOrEqual(before);
    expect(r.value.timestamp).toBeLessThanOrEqual(Date.now());
  });
});

describe('formatIssues', () => {
  it('joins nested paths with dots and names root issues (root)', () => {
    const nested = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } });
    if (nested.success) throw new Error('expected a failure');
    expect(formatIssues(nested.error)).toEqual([expect.stringMatching(/^a\.b: /)]);
    const root = z.number().safeParse('x');
    if (root.success) throw new Error('expected a failure');
    expect(formatIssues(root.error)).toEqual([expect.stringMatching(/^\(root\): /)]);
  });
});

describe('defineChannels', () => {
  const s = z.object({ guildId: z.string() });

  it('defaults the Socket.io event name to the channel name, and keeps a given one', () => {
    const channels = defineChannels({ 'a:b': { schema: s }, 'c.d': { schema: s, socketEvent: 'cd' } });
    expect(channels['a:b']).toEqual({ schema: s, socketEvent: 'a:b' });
    expect(channels['c.d'].socketEvent).toBe('cd');
    expect(Object.isFrozen(channels)).toBe(true);
    expect(Object.isFrozen(channels['a:b'])).toBe(true);
  });

  it('accepts names of 1 to 64 characters from letters, digits and : . _ -', () => {
    for (const name of ['a', 'Z9', `a${'b'.repeat(63)}`, 'x:y.z_w-v', '0start']) {
      expect(() => defineChannels({ [name]: { schema: s } }), name).not.toThrow();
    }
  });

  it('refuses other names with a clear message', () => {
    for (const name of ['', ':a', '-a', `a${'b'.repeat(64)}`, 'a b', 'a/b', 'é', 'a\n']) {
      expect(() => defineChannels({ [name]: { schema: s } }), JSON.stringify(name)).toThrow(
        new TypeError(`Invalid channel name "${name}": use letters, digits and : . _ - (at most 64)`),
      );
    }
  });
});

describe('session:revoked', () => {
  const session = channelSchemas['session:revoked'];
  const valid = { sessionId: '6f1c2a3e-0b7d-4c59-9e43-2f0a8d1c5b77', userId: '456', reason: 'logout' };

  it('accepts a session id, a user id and one of the reasons, with a default timestamp', () => {
    for (const reason of ['logout', 'expired', 'relogin', 'revoked']) {
      expect(session.parse({ ...valid, reason })).toMatchObject({
        ...valid,
        reason,
        timestamp: expect.any(Number),
      });
    }
  });

  it('refuses an unknown reason, a session id unsafe in a room name and a user id that is no snowflake', () => {
    expect(session.safeParse({ ...valid, reason: 'bored' }).success).toBe(false);
    expect(session.safeParse({ ...valid, sessionId: 'a b' }).success).toBe(false);
    expect(session.safeParse({ ...valid, sessionId: 'x'.repeat(129) }).success).toBe(false);
    expect(session.safeParse({ ...valid, userId: 'abc' }).success).toBe(false);
    expect(session.safeParse({ sessionId: valid.sessionId, reason: 'logout' }).success).toBe(false);
  });
});
