import { z } from 'zod';

/**
 * A Discord id (snowflake): 1–20 digits, sent as a string.
 *
 * @example
 * ```ts
 * snowflake.parse('123456789012345678');
 * ```
 */
export const snowflake = z.string().regex(/^\d{1,20}$/, 'must be a Discord id (1-20 digits)');

/**
 * A configuration version: a non-negative safe integer. Writes send the version they last saw
 * (optimistic concurrency: a stale one is answered 409).
 *
 * @example
 * ```ts
 * version.parse(42);
 * ```
 */
export const version = z.number().int('must be an integer').nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * A point in time as the API sends it: an ISO 8601 string (`Date#toISOString()`).
 *
 * @example
 * ```ts
 * isoDateTime.parse(new Date().toISOString());
 * ```
 */
export const isoDateTime = z.iso.datetime({ offset: true });

/**
 * Languages the bot speaks and the panel offers.
 *
 * @example
 * ```ts
 * const options = LANGUAGES.map((code) => ({ code }));
 * ```
 */
export const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'nl', 'pt'] as const;

/**
 * One of {@link LANGUAGES}.
 *
 * @example
 * ```ts
 * const language: Language = 'fr';
 * ```
 */
export type Language = (typeof LANGUAGES)[number];

/**
 * The bot's modules, in display order.
 *
 * @example
 * ```ts
 * for (const name of MODULE_NAMES) console.log(name);
 * ```
 */
export const MODULE_NAMES = ['moderation', 'welcome', 'logging'] as const;

/**
 * One of {@link MODULE_NAMES}.
 *
 * @example
 * ```ts
 * const name: ModuleName = 'welcome';
 * ```
 */
export type ModuleName = (typeof MODULE_NAMES)[number];

/**
 * The outcome of a command run, as the bot records it.
 *
 * @example
 * ```ts
 * const shown = COMMAND_RESULTS.includes('denied');
 * ```
 */
export const COMMAND_RESULTS = ['success', 'error', 'denied'] as const;

/**
 * One of {@link COMMAND_RESULTS}.
 *
 * @example
 * ```ts
 * const result: CommandResult = 'success';
 * ```
 */
export type CommandResult = (typeof COMMAND_RESULTS)[number];
