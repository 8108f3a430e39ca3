/**
 * Any JSON value.
 *
 * @example
 * ```ts
 * import type { JsonValue } from '@wolaro/discord-emulator';
 * const embed: JsonValue = { title: 'Hello', fields: [] };
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A JSON object.
 *
 * @example
 * ```ts
 * import type { JsonObject } from '@wolaro/discord-emulator';
 * const data: JsonObject = { name: 'ping', type: 1 };
 * ```
 */
export type JsonObject = { [key: string]: JsonValue };

/** Deep-copies a value through JSON, dropping `undefined` (internal helper). */
export function toJson<T extends JsonValue = JsonValue>(value: unknown): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}
