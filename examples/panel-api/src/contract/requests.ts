import { z } from 'zod';
import { LANGUAGES, type ModuleName, snowflake, version } from './common.js';

/**
 * Each setting a panel may change, with the rule the API applies to it. The panel validates a
 * field with the same schema before it offers to save.
 *
 * @example
 * ```ts
 * const check = settingFields.prefix.safeParse('a b'); // fails: 'must not contain spaces'
 * ```
 */
export const settingFields = {
  prefix: z
    .string()
    .min(1, 'must be 1-5 characters')
    .max(5, 'must be 1-5 characters')
    .regex(/^\S+$/, 'must not contain spaces'),
  language: z.enum(LANGUAGES, `must be one of ${LANGUAGES.join(', ')}`),
  logChannelId: snowflake.nullable(),
} as const;

/**
 * The settings of a `PATCH`: each optional, unknown ones refused, at least one given.
 *
 * @example
 * ```ts
 * settingsPatch.parse({ prefix: '?' });
 * ```
 */
export const settingsPatch = z
  .object(settingFields)
  .partial()
  .strict()
  .refine((s) => Object.keys(s).length > 0, 'must change at least one setting');

/**
 * A settings change (what {@link settingsPatch} accepts).
 *
 * @example
 * ```ts
 * const patch: SettingsPatch = { language: 'fr' };
 * ```
 */
export type SettingsPatch = z.infer<typeof settingsPatch>;

/**
 * The body of `PATCH /api/panel/guilds/:id`. Without `version` the write is unconditional.
 *
 * @example
 * ```ts
 * const body: PatchGuildBody = { settings: { prefix: '?' }, version: 3 };
 * ```
 */
export const patchGuildBody = z.object({ settings: settingsPatch, version: version.optional() }).strict();

/**
 * The body of `PATCH /api/panel/guilds/:id` (see {@link patchGuildBody}).
 *
 * @example
 * ```ts
 * const body: PatchGuildBody = { settings: { logChannelId: null } };
 * ```
 */
export type PatchGuildBody = z.infer<typeof patchGuildBody>;

/**
 * Each module's config keys; unknown keys are refused.
 *
 * @example
 * ```ts
 * moduleConfigSchemas.welcome.parse({ message: 'Hi!' });
 * ```
 */
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

/**
 * The body of `PATCH /api/panel/guilds/:id/modules/:name` for module `name`.
 *
 * @example
 * ```ts
 * patchModuleBody('welcome').parse({ enabled: true, version: 4 });
 * ```
 */
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

/**
 * The body of `PATCH /api/panel/guilds/:id/modules/:name`.
 *
 * @example
 * ```ts
 * const body: PatchModuleBody = { enabled: false, version: 7 };
 * ```
 */
export type PatchModuleBody = z.infer<ReturnType<typeof patchModuleBody>>;

/**
 * The body of `POST /api/panel/guilds/:id/revisions/:rev/restore` (optional).
 *
 * @example
 * ```ts
 * const body: RestoreBody = { version: 9 };
 * ```
 */
export const restoreBody = z.object({ version: version.optional() }).strict();

/**
 * The body of `POST /api/panel/guilds/:id/revisions/:rev/restore`.
 *
 * @example
 * ```ts
 * const body: RestoreBody = {};
 * ```
 */
export type RestoreBody = z.infer<typeof restoreBody>;

/**
 * The body of `POST /api/panel/guilds/:id/sync` (optional).
 *
 * @example
 * ```ts
 * const body: SyncBody = { reason: 'Manual sync' };
 * ```
 */
export const syncBody = z.object({ reason: z.string().max(200).optional() }).strict();

/**
 * The body of `POST /api/panel/guilds/:id/sync`.
 *
 * @example
 * ```ts
 * const body: SyncBody = {};
 * ```
 */
export type SyncBody = z.infer<typeof syncBody>;
