import { z } from 'zod';
import { InvalidPayloadError } from '../errors.js';
import { formatIssues } from '../internal/format_issues.js';
import type { GuildConfig } from './guild_config.js';

const VERSION_HINT = 'must be a non-negative safe integer (or a string of digits, as pg returns a bigint)';

/**
 * A guild version from your database. A pg `bigint` column arrives as a string (`'2'`): a string of
 * digits is accepted and coerced when it is a safe integer; anything else (a negative, a fraction,
 * a number past 2^53 - 1, a missing version) is refused.
 */
export const loadedVersion = z.unknown().transform((value, ctx) => {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
  ctx.addIssue({ code: 'custom', message: `${VERSION_HINT}, got ${JSON.stringify(value) ?? 'undefined'}` });
  return z.NEVER;
});

const record = z.record(z.string(), z.unknown(), 'must be an object');

const loadedConfig = z.looseObject({
  settings: record,
  modules: z.record(
    z.string(),
    z.looseObject({ enabled: z.boolean(), config: record.optional() }),
    'must be an object of { enabled, config? }',
  ),
  version: loadedVersion,
});

/**
 * Checks what your `load` returned for a guild and coerces a digit-string version; throws an
 * `InvalidPayloadError` naming the guild and every wrong field.
 */
export function checkLoadedConfig(guildId: string, value: unknown): GuildConfig | null {
  if (value === null) return null;
  const result = loadedConfig.safeParse(value);
  if (result.success) return result.data as GuildConfig;
  const issues = formatIssues(result.error);
  throw new InvalidPayloadError(
    `load('${guildId}') returned an invalid guild config: ${issues.join('; ')}`,
    issues,
  );
}

/** Checks what your `loadVersions` returned; digit-string versions are coerced. */
export function checkLoadedVersions(value: unknown): ReadonlyMap<string, number> {
  if (!(value instanceof Map)) {
    throw new InvalidPayloadError('loadVersions() must resolve to a Map<guildId, version>');
  }
  const out = new Map<string, number>();
  for (const [guildId, version] of value as Map<unknown, unknown>) {
    const parsed = loadedVersion.safeParse(version);
    if (!parsed.success) {
      const issue = `${String(guildId)}: ${formatIssues(parsed.error)
        .join('; ')
        .replace(/^\(root\): /, '')}`;
      throw new InvalidPayloadError(`loadVersions() returned an invalid version for guild ${issue}`, [issue]);
    }
    out.set(String(guildId), parsed.data);
  }
  return out;
}
