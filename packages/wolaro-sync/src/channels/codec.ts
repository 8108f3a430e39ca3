import type { z } from 'zod';
import { formatIssues } from '../internal/format_issues.js';

/** Default upper bound of one message on the wire: 256 KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

/** Outcome of {@link decodePayload}: the validated payload, or why it was refused. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const FORBIDDEN_HINT = /__proto__|constructor|prototype/;

function byteLengthOver(raw: string, maxBytes: number): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only measure when the cheap bound is not enough.
  if (raw.length > maxBytes) return true;
  return raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes;
}

function hasForbiddenKey(raw: string): boolean {
  // Fast path: only pay for a reviver when a dangerous key name appears at all.
  if (!FORBIDDEN_HINT.test(raw)) return false;
  let found = false;
  JSON.parse(raw, function (this: unknown, key: string, value: unknown) {
    if (FORBIDDEN_KEYS.has(key)) found = true;
    return value;
  });
  return found;
}

/**
 * Parses and validates one message from the wire. Never throws: anything that is not JSON, too
 * large, not an object, carries a prototype-polluting key (`__proto__`, `constructor`,
 * `prototype`) or fails the schema comes back as `{ ok: false, reason }`.
 *
 * @example
 * ```ts
 * const r = decodePayload(channelSchemas['config:update'], '{"guildId":"123","settings":{}}');
 * if (r.ok) console.log(r.value.timestamp);
 * ```
 */
export function decodePayload<S extends z.ZodType>(
  schema: S,
  raw: string,
  maxBytes: number = DEFAULT_MAX_PAYLOAD_BYTES,
): DecodeResult<z.output<S>> {
  if (typeof raw !== 'string') return { ok: false, reason: 'not a string' };
  if (byteLengthOver(raw, maxBytes)) return { ok: false, reason: `payload over ${maxBytes} bytes` };
  let data: unknown;
  try {
    data = JSON.parse(raw);
    if (hasForbiddenKey(raw)) return { ok: false, reason: 'forbidden key (__proto__/constructor/prototype)' };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const result = schema.safeParse(data);
  if (!result.success) return { ok: false, reason: formatIssues(result.error).join('; ') };
  return { ok: true, value: result.data };
}
