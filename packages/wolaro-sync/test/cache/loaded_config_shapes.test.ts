import { describe, expect, it } from 'vitest';
import { isGuildConfig } from '../../src/cache/guild_config.js';
import { checkLoadedConfig, checkLoadedVersions } from '../../src/cache/loaded_config.js';
import { InvalidPayloadError } from '../../src/errors.js';

// Pure checks of what comes back from L2 (isGuildConfig) and from the user's loaders.

const HINT = 'must be a non-negative safe integer (or a string of digits, as pg returns a bigint)';

function versionsError(version: unknown): InvalidPayloadError {
  try {
    checkLoadedVersions(new Map([['7', version]]));
  } catch (err) {
    return err as InvalidPayloadError;
  }
  throw new Error(`checkLoadedVersions accepted ${JSON.stringify(version)}`);
}

describe('isGuildConfig (the shape check of L2 reads)', () => {
  const ok = { settings: {}, modules: {}, version: 0 };

  it('accepts a well-formed config, version 0 included', () => {
    expect(isGuildConfig(ok)).toBe(true);
    expect(isGuildConfig({ ...ok, version: 12 })).toBe(true);
  });

  it.each([
    ['null', null],
    ['an array', [ok]],
    ['a string', 'config'],
    ['a number', 3],
    ['settings null', { ...ok, settings: null }],
    ['settings an array', { ...ok, settings: [] }],
    ['settings a string', { ...ok, settings: 'x' }],
    ['settings missing', { modules: {}, version: 1 }],
    ['modules null', { ...ok, modules: null }],
    ['modules an array', { ...ok, modules: [] }],
    ['modules a string', { ...ok, modules: 'x' }],
    ['version negative', { ...ok, version: -1 }],
    ['version a fraction', { ...ok, version: 1.5 }],
    ['version a string', { ...ok, version: '1' }],
    ['version missing', { settings: {}, modules: {} }],
    ['version past 2^53', { ...ok, version: 2 ** 53 }],
  ])('refuses %s', (_what, value) => {
    expect(isGuildConfig(value)).toBe(false);
  });
});

describe('loaded versions (loadVersions answers and load().version)', () => {
  it.each([
    [0, 0],
    [5, 5],
    ['0', 0],
    ['12', 12],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('accepts %j as %d', (input, expected) => {
    expect(checkLoadedVersions(new Map([['7', input]])).get('7')).toBe(expected);
  });

  it.each([
    [-1],
    [1.5],
    [null],
    [''],
    [' 12'],
    ['12 '],
    ['1e3'],
    ['0x10'],
    ['-3'],
    ['three'],
    [[12]],
    [true],
    ['9007199254740993'],
  ])('refuses %j with a message naming the guild and the value', (input) => {
    const error = versionsError(input);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    const issue = `7: ${HINT}, got ${JSON.stringify(input)}`;
    expect(error.message).toBe(`loadVersions() returned an invalid version for guild ${issue}`);
    expect(error.issues).toEqual([issue]);
  });

  it('refuses an answer that is not a Map, even an iterable of pairs', () => {
    for (const answer of [[['7', 1]], { 7: 1 }, null]) {
      expect(() => checkLoadedVersions(answer)).toThrow(
        new InvalidPayloadError('loadVersions() must resolve to a Map<guildId, version>'),
      );
      try {
        checkLoadedVersions(answer);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidPayloadError);
        expect((err as Error).message).toBe('loadVersions() must resolve to a Map<guildId, version>');
      }
    }
  });

  it('keys the answer by string guild id', () => {
    expect([...checkLoadedVersions(new Map([[7, '3']]))]).toEqual([['7', 3]]);
  });

  it('load(): every wrong field is listed in the message, separated by "; "', () => {
    expect(() => checkLoadedConfig('5', { settings: 'x', modules: {}, version: -1 })).toThrow(
      `load('5') returned an invalid guild config: settings: must be an object; version: ${HINT}, got -1`,
    );
  });

  it('load(): version 0 and digit strings pass, a malformed module names its expected shape', () => {
    expect(checkLoadedConfig('1', { settings: {}, modules: {}, version: 0 })?.version).toBe(0);
    expect(checkLoadedConfig('1', { settings: {}, modules: {}, version: '40' })?.version).toBe(40);
    expect(checkLoadedConfig('1', null)).toBeNull();
    let error: InvalidPayloadError | undefined;
    try {
      checkLoadedConfig('1', { settings: {}, modules: 'nope', version: 1 });
    } catch (err) {
      error = err as InvalidPayloadError;
    }
    expect(error?.issues).toEqual(['modules: must be an object of { enabled, config? }']);
    expect(() => checkLoadedConfig('9', { settings: {}, modules: {}, version: -2 })).toThrow(
      `load('9') returned an invalid guild config: version: ${HINT}, got -2`,
    );
  });
});
