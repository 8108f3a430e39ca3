/**
 * `@wolaro/panel-api/contract`: the panel API's HTTP contract — zod schemas of every request body
 * and answer, their inferred types, and the error shape. Browser-safe (it needs zod only): the
 * routes shape their answers with these types and panel-web reads the answers with these schemas.
 *
 * @example
 * ```ts
 * import { guildDetail, settingFields } from '@wolaro/panel-api/contract';
 *
 * const guild = guildDetail.parse(await (await fetch(`/api/panel/guilds/${id}`, { headers })).json());
 * const problem = settingFields.prefix.safeParse(input).error?.issues[0]?.message;
 * ```
 *
 * @packageDocumentation
 */

export * from './common.js';
export * from './errors.js';
export * from './requests.js';
export * from './responses.js';
export * from './routes.js';
