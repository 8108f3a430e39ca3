import { describe, expect, it } from 'vitest';
import {
  builtinChannels,
  CHANNELS,
  channelSchemas,
  decodePayload,
  InvalidPayloadError,
  SOCKET_EVENTS,
} from '../src/index.js';
import { assertPublishable, FORBIDDEN_KEY_REASON, parseForPublish } from '../src/internal/payload_check.js';

// The built-in channel contracts field by field (what a receiver accepts, what it is told when it
// refuses), and the publish-side checks with their messages. Narrow unit tests, no services.

/** The reason `decodePayload` gives for `payload` on `channel`, or 'ok'. */
function verdict(channel: keyof typeof channelSchemas, payload: Record<string, unknown>): string {
  const r = decodePayload(channelSchemas[channel], JSON.stringify(payload));
  return r.ok ? 'ok' : r.reason;
}

describe('the built-in channels', () => {
  it('name their Socket.io events as documented', () => {
    const events = Object.fromEntries(Object.entries(builtinChannels).map(([k, v]) => [k, v.socketEvent]));
    expect(events).toEqual({
      'config:update': 'config:updated',
      'module:toggle': 'module:toggled',
      'guild:reload': 'guild:reload',
      'permission:revoked': 'permission:revoked',
      'command:executed': 'command:executed',
      'session:revoked': 'session:revoked',
    });
    expect(SOCKET_EVENTS).toEqual(events);
    expect(Object.values(CHANNELS).sort()).toEqual(Object.keys(builtinChannels).sort());
  });

  it('each have a schema that accepts a minimal valid payload', () => {
    const valid: Record<keyof typeof channelSchemas, Record<string, unknown>> = {
      'config:update': { guildId: '1', settings: {} },
      'module:toggle': { guildId: '1', module: 'moderation', enabled: true },
      'guild:reload': { guildId: '1' },
      'permission:revoked': { guildId: '1', userId: '2', reason: 'removed' },
      'command:executed': { guildId: '1', command: 'ping', executorId: '2', result: 'success' },
      'session:revoked': { sessionId: 's-1', userId: '2', reason: 'logout' },
    };
    for (const [channel, payload] of Object.entries(valid)) {
      expect(verdict(channel as keyof typeof channelSchemas, payload), channel).toBe('ok');
      expect(builtinChannels[channel as keyof typeof builtinChannels].schema).toBe(
        channelSchemas[channel as keyof typeof channelSchemas],
      );
    }
  });

  it('keep the event id and origin a message carries, and bound them', () => {
    const r = decodePayload(
      channelSchemas['guild:reload'],
      JSON.stringify({ guildId: '1', eventId: 'e-1', origin: 'api-1' }),
    );
    expect(r.ok && { eventId: r.value.eventId, origin: r.value.origin }).toEqual({
      eventId: 'e-1',
      origin: 'api-1',
    });
    expect(verdict('guild:reload', { guildId: '1', eventId: '' })).toMatch(/^eventId: /);
    expect(verdict('guild:reload', { guildId: '1', eventId: 'e'.repeat(64) })).toBe('ok');
    expect(verdict('guild:reload', { guildId: '1', eventId: 'e'.repeat(65) })).toMatch(/^eventId: /);
    expect(verdict('guild:reload', { guildId: '1', origin: 'o'.repeat(128) })).toBe('ok');
    expect(verdict('guild:reload', { guildId: '1', origin: 'o'.repeat(129) })).toMatch(/^origin: /);
  });

  it('take a guild id of 1 to 20 digits only', () => {
    for (const ok of ['1', '9'.repeat(20), '123456789012345678']) {
      expect(verdict('guild:reload', { guildId: ok }), ok).toBe('ok');
    }
    for (const bad of ['', 'a1', '1a', ' 1', '1'.repeat(21), '-1']) {
      expect(verdict('guild:reload', { guildId: bad }), bad).toBe(
        'guildId: must be a Discord snowflake (1-20 digits)',
      );
    }
  });

  it('take a module name of 1 to 32 of a-z 0-9 _ -', () => {
    const toggle = (module: string) => verdict('module:toggle', { guildId: '1', module, enabled: false });
    for (const ok of ['a', 'ab', 'x_y-9', 'm'.repeat(32)]) expect(toggle(ok), ok).toBe('ok');
    for (const bad of ['', 'Ab', 'aB', 'a b', 'm'.repeat(33), 'é']) {
      expect(toggle(bad), bad).toBe('module: must match [a-z0-9_-]{1,32}');
    }
  });

  it('take a session id of 1 to 128 of A-Z a-z 0-9 _ . : - and say so', () => {
    const revoked = (sessionId: string) =>
      verdict('session:revoked', { sessionId, userId: '2', reason: 'expired' });
    expect(revoked('A.b:c_d-1')).toBe('ok');
    expect(revoked('s'.repeat(128))).toBe('ok');
    for (const bad of ['', 'a b', 's'.repeat(129), 'room/x']) {
      expect(revoked(bad), bad).toBe('sessionId: must be a session id ([A-Za-z0-9_.:-]{1,128})');
    }
  });
});

describe('the publish-side checks', () => {
  it('refuse a payload the schema refuses, listing every problem', () => {
    const attempt = () => parseForPublish('module:toggle', channelSchemas['module:toggle'], { guildId: 'x' });
    expect(attempt).toThrow(InvalidPayloadError);
    expect(attempt).toThrow(
      'Invalid payload for "module:toggle": guildId: must be a Discord snowflake (1-20 digits); module: Invalid input: expected string, received undefined; enabled: Invalid input: expected boolean, received undefined',
    );
    try {
      attempt();
    } catch (err) {
      expect((err as InvalidPayloadError).issues).toHaveLength(3);
      expect((err as InvalidPayloadError).zodIssues.map((i) => i.path.join('.'))).toEqual([
        'guildId',
        'module',
        'enabled',
      ]);
    }
  });

  it('refuse a message over the size limit, naming the channel and the limit', () => {
    expect(() => assertPublishable('guild:reload', 'x'.repeat(11), 10)).toThrow(
      'Payload for "guild:reload" is over 10 bytes',
    );
    try {
      assertPublishable('guild:reload', 'x'.repeat(11), 10);
    } catch (err) {
      expect((err as InvalidPayloadError).issues).toEqual(['(root): payload over 10 bytes']);
    }
    expect(() => assertPublishable('guild:reload', 'x'.repeat(10), 10)).not.toThrow();
  });

  it('refuse a prototype-polluting key that every receiver would drop', () => {
    const wire = '{"guildId":"1","settings":{"__proto__":{"admin":true}}}';
    expect(() => assertPublishable('config:update', wire, 1000)).toThrow(
      `Invalid payload for "config:update": ${FORBIDDEN_KEY_REASON}, which every receiver drops`,
    );
    try {
      assertPublishable('config:update', wire, 1000);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPayloadError);
      expect((err as InvalidPayloadError).issues).toEqual([`(root): ${FORBIDDEN_KEY_REASON}`]);
    }
    expect(() =>
      assertPublishable('config:update', '{"guildId":"1","settings":{"proto":1}}', 1000),
    ).not.toThrow();
  });
});
