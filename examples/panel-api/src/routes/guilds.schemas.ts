import { LANGUAGES, type ModuleName } from '@wolaro/db';
import { z } from 'zod';

const snowflake = z.string().regex(/^\d{1,20}$/, 'must be a Discord id (1-20 digits)');
/** The version the client last saw (optimistic concurrency: stale → 409). */
const version = z.number().int('must be an integer').nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Settings a panel may change; each is optional, unknown ones are refused. */
export const settingsPatch = z
  .object({
    prefix: z
      .string()
      .min(1, 'must be 1-5 characters')
      .max(5, 'must be 1-5 characters')
      .regex(/^\S+$/, 'must not contain spaces'),
    language: z.enum(LANGUAGES, `must be one of ${LANGUAGES.join(', ')}`),
    logChannelId: snowflake.nullable(),
  })
  .partial()
  .strict()
  .refine((s) => Object.keys(s).length > 0, 'must change at least one setting');

/** `PATCH /api/panel/guilds/:id` */
export const patchGuildBody = z.object({ settings: settingsPatch, version: version.optional() }).strict();

/** Each module's config keys; unknown keys are refused. */
export const moduleConfigSchemas = {
  moderation: z.object({ logChannel: snowflake.nullable() }).partial().strict(),
  welcome: z
    .object({
      channelId: snowflake.nullable(),
      message: z.string().max(500, 'must be at most 500 characters'),
    })
    .partial()
    .strict(),
  logging: z.object({ channelId: snowflake.nullable() }).partial().strict(),
} as const satisfies Record<ModuleName, z.ZodType>;

/** `PATCH /api/panel/guilds/:id/modules/:name` for module `name`. */
export function patchModuleBody(name: ModuleName) {
  return z
    .object({
      enabled: z.boolean().optional(),
      config: moduleConfigSchemas[name].optional(),
      version: version.optional(),
    })
    .strict()
    .refine((b) => b.enabled !== undefined || b.config !== undefined, 'must give enabled and/or config');
}

/** `POST /api/panel/guilds/:id/revisions/:rev/restore` (the body is optional). */
export const restoreBody = z.object({ version: version.optional() }).strict();

/** `POST /api/panel/guilds/:id/sync` (the body is optional). */
export const syncBody = z.object({ reason: z.string().max(200).optional() }).strict();

/** `:rev` of the restore route: a revision's version number. */
export const revisionParams = z.object({
  rev: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a revision number')
    .transform(Number),
});

const limit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, `must be an integer between 1 and ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be an integer between 1 and ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

/** `?limit=` of the revisions list. */
export const revisionsQuery = z.object({ limit: limit(100, 20) });
/** `?limit=` of the command log. */
export const logsQuery = z.object({ limit: limit(200, 50) });
