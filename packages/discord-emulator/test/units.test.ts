import { describe, expect, it } from 'vitest';
import { Router } from '../src/http/path_router.js';
import { parseMultipart } from '../src/http/read_body.js';
import {
  ALL_PERMISSIONS,
  compareSnowflakes,
  computeChannelPermissions,
  computeGuildPermissions,
  DEFAULT_BOT_TOKEN,
  DEMO,
  DISCORD_EPOCH,
  defaultBotToken,
  isSnowflake,
  PermissionFlags,
  SnowflakeGenerator,
  snowflakeTimestamp,
} from '../src/index.js';
import { RateLimiter } from '../src/rest/rate_limit.js';

describe('snowflakes', () => {
  it('encode the time since the Discord epoch and stay strictly increasing', () => {
    const now = DISCORD_EPOCH + 1_000_000;
    const ids = new SnowflakeGenerator({ now: () => now });
    const generated = Array.from({ length: 5000 }, () => ids.next());
    expect(new Set(generated).size).toBe(5000);
    const sorted = [...generated].sort(compareSnowflakes);
    expect(sorted).toEqual(generated);
    expect(snowflakeTimestamp(generated[0] ?? '')).toBe(now);
    expect(isSnowflake(generated[0] ?? '')).toBe(true);
    expect(isSnowflake('12a')).toBe(false);
  });

  it('decodes a known Discord snowflake', () => {
    expect(new Date(snowflakeTimestamp('175928847299117063')).toISOString()).toBe('2016-04-30T11:18:25.796Z');
  });
});

describe('permissions', () => {
  const rolePermissions = new Map<string, bigint>([
    ['10', PermissionFlags.ViewChannel | PermissionFlags.SendMessages],
    ['11', PermissionFlags.Administrator],
    ['12', PermissionFlags.KickMembers],
  ]);
  const subject = (userId: string, memberRoleIds: string[]) => ({
    guildId: '10',
    ownerId: '1',
    userId,
    memberRoleIds,
    rolePermissions,
  });

  it('gives the owner and administrators everything, others @everyone | roles', () => {
    expect(computeGuildPermissions(subject('1', []))).toBe(ALL_PERMISSIONS);
    expect(computeGuildPermissions(subject('2', ['11']))).toBe(ALL_PERMISSIONS);
    expect(computeGuildPermissions(subject('3', ['12']))).toBe(
      PermissionFlags.ViewChannel | PermissionFlags.SendMessages | PermissionFlags.KickMembers,
    );
  });

  it('applies @everyone, role and member overwrites in order', () => {
    const overwrites = [
      { id: '10', type: 0 as const, allow: '0', deny: String(PermissionFlags.SendMessages) },
      { id: '12', type: 0 as const, allow: String(PermissionFlags.SendMessages), deny: '0' },
      { id: '4', type: 1 as const, allow: '0', deny: String(PermissionFlags.ViewChannel) },
    ];
    expect(computeChannelPermissions(subject('3', []), overwrites) & PermissionFlags.SendMessages).toBe(0n);
    expect(computeChannelPermissions(subject('3', ['12']), overwrites) & PermissionFlags.SendMessages).toBe(
      PermissionFlags.SendMessages,
    );
    expect(computeChannelPermissions(subject('4', ['12']), overwrites)).toBe(0n);
    expect(computeChannelPermissions(subject('2', ['11']), overwrites)).toBe(ALL_PERMISSIONS);
  });
});

describe('small building blocks', () => {
  it('derives the documented default bot token from the demo application id', () => {
    expect(defaultBotToken(DEMO.applicationId)).toBe(DEFAULT_BOT_TOKEN);
    expect(Buffer.from(DEFAULT_BOT_TOKEN.split('.')[0] ?? '', 'base64').toString()).toBe(DEMO.users.bot);
  });

  it('rate limiter counts per bucket and major parameter', () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000 });
    expect(limiter.consume('GET /a', '1', 0).limited).toBe(false);
    expect(limiter.consume('GET /a', '2', 0).limited).toBe(false);
    const limited = limiter.consume('GET /a', '1', 500);
    expect(limited.limited).toBe(true);
    expect(limited.retryAfterSeconds).toBe(0.5);
    expect(limiter.consume('GET /a', '1', 1000).limited).toBe(false);
  });

  it('router prefers literal segments and reports allowed methods', () => {
    const router = new Router<string>().add('GET', '/users/:id', 'user').add('GET', '/users/@me', 'me');
    expect(router.match('GET', '/users/@me')).toMatchObject({ kind: 'found', value: 'me' });
    expect(router.match('GET', '/users/42')).toMatchObject({
      kind: 'found',
      value: 'user',
      params: { id: '42' },
    });
    expect(router.match('POST', '/users/42')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
    expect(router.match('GET', '/nope')).toEqual({ kind: 'not-found' });
  });

  it('parses multipart bodies', () => {
    const raw = Buffer.from(
      '--b\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n{"content":"x"}\r\n' +
        '--b\r\nContent-Disposition: form-data; name="files[0]"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n',
    );
    const parsed = parseMultipart(raw, 'b');
    expect(parsed.fields).toEqual({ payload_json: '{"content":"x"}' });
    expect(parsed.files.map((f) => [f.field, f.filename, f.contentType, f.data.toString()])).toEqual([
      ['files[0]', 'a.txt', 'text/plain', 'hello'],
    ]);
  });
});
