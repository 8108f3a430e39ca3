import type { z } from 'zod';
import { formatIssues } from '../internal/format_issues.js';
import { wireProblem } from '../internal/payload_check.js';

/** Default upper bound of one message on the wire: 256 KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

/** Outcome of {@link decodePayload}: the validated payload, or why it was refused. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Parses and validates one message from the wire. Never throws: anything that is not JSON, too
 * large, not an object, carries a prototype-polluting key (`__proto__`, `constructor`,
 * `prototype`) or fails the schema comes back as `{ ok: false, reason }`. `SyncClient.publish`
 * and the outbox `enqueue` refuse the same payloads up front, with `InvalidPayloadError`.
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
  let data: unknown;
  try {
    const problem = wireProblem(raw, maxBytes);
    if (problem !== undefined) return { ok: false, reason: problem };
    data = JSON.parse(raw);
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
