import { describe, expect, it } from 'vitest';
import {
  cacheKeys,
  createCacheKeys,
  DEFAULT_TTL_SECONDS,
  InvalidKeyError,
  WolaroSyncError,
} from '../src/index.js';

describe('cacheKeys', () => {
  it("builds the note's keys", () => {
    expect(cacheKeys.guildConfig('123')).toBe('guild:config:123');
    expect(cacheKeys.guildModule('123', 'moderation')).toBe('guild:module:123:moderation');
    expect(cacheKeys.userPermissions('456')).toBe('user:permissions:456');
    expect(DEFAULT_TTL_SECONDS).toBe(3600);
  });

  it('namespaces keys with a prefix', () => {
    const keys = createCacheKeys('staging:');
    expect(keys.guildConfig('1')).toBe('staging:guild:config:1');
    expect(cacheKeys.withPrefix('a.b-').userPermissions('9')).toBe('a.b-user:permissions:9');
  });

  it.each([
    ['guildConfig', () => cacheKeys.guildConfig('123:evil')],
    ['guildConfig *', () => cacheKeys.guildConfig('*')],
    ['guildConfig empty', () => cacheKeys.guildConfig('')],
    ['guildConfig 21 digits', () => cacheKeys.guildConfig('1'.repeat(21))],
    ['guildConfig number', () => cacheKeys.guildConfig(123 as unknown as string)],
    ['guildModule name', () => cacheKeys.guildModule('1', 'Mod:x')],
    ['guildModule long', () => cacheKeys.guildModule('1', 'a'.repeat(33))],
    ['userPermissions', () => cacheKeys.userPermissions('1 2')],
    ['prefix', () => createCacheKeys('bad prefix*')],
  ])('refuses %s with InvalidKeyError', (_label, build) => {
    expect(build).toThrow(InvalidKeyError);
    try {
      build();
    } catch (err) {
      expect(err).toBeInstanceOf(WolaroSyncError);
      expect((err as InvalidKeyError).code).toBe('E_INVALID_KEY');
      expect((err as Error).name).toBe('InvalidKeyError');
    }
  });
});
