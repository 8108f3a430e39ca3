import type { z } from 'zod';
import { InvalidPayloadError } from '../errors.js';
import { formatIssues } from './format_issues.js';

/**
 * The checks a message must pass, shared by the receiving side (`decodePayload`) and the
 * publishing side (`SyncClient.publish`, the outbox `enqueue`): one implementation, so nothing is
 * accepted on publish that a receiver would drop.
 */

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const FORBIDDEN_HINT = /__proto__|constructor|prototype/;

/** The reason a JSON object with a prototype-polluting key is refused. */
export const FORBIDDEN_KEY_REASON = 'forbidden key (__proto__/constructor/prototype)';

/** Whether `raw` (UTF-16) is over `maxBytes` of UTF-8. */
export function byteLengthOver(raw: string, maxBytes: number): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only measure when the cheap bound is not enough.
  if (raw.length > maxBytes) return true;
  return raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes;
}

/** Whether the JSON text `raw` has a `__proto__`, `constructor` or `prototype` key at any depth. */
export function hasForbiddenKey(raw: string): boolean {
  // Fast path: only pay for a reviver when a dangerous key name appears at all.
  if (!FORBIDDEN_HINT.test(raw)) return false;
  let found = false;
  JSON.parse(raw, function (this: unknown, key: string, value: unknown) {
    if (FORBIDDEN_KEYS.has(key)) found = true;
    return value;
  });
  return found;
}

/** Why the encoded message `raw` is refused (size, forbidden key), or `undefined`. Never throws on JSON. */
export function wireProblem(raw: string, maxBytes: number): string | undefined {
  if (byteLengthOver(raw, maxBytes)) return `payload over ${maxBytes} bytes`;
  return hasForbiddenKey(raw) ? FORBIDDEN_KEY_REASON : undefined;
}

/**
 * Parses `data` with a channel's schema for publishing; throws the `InvalidPayloadError` (with
 * the zod issues) a bad payload gets everywhere.
 */
export function parseForPublish(channel: string, schema: z.ZodType, data: unknown): Record<string, unknown> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new InvalidPayloadError(`Invalid payload for "${channel}": ${issues.join('; ')}`, issues, {
      zodIssues: parsed.error.issues,
    });
  }
  return parsed.data as Record<string, unknown>;
}

/** Throws `InvalidPayloadError` when the encoded message `wire` would be dropped by a receiver. */
export function assertPublishable(channel: string, wire: string, maxBytes: number): void {
  if (byteLengthOver(wire, maxBytes)) {
    throw new InvalidPayloadError(`Payload for "${channel}" is over ${maxBytes} bytes`, [
      `(root): payload over ${maxBytes} bytes`,
    ]);
  }
  if (hasForbiddenKey(wire)) {
    throw new InvalidPayloadError(
      `Invalid payload for "${channel}": ${FORBIDDEN_KEY_REASON}, which every receiver drops`,
      [`(root): ${FORBIDDEN_KEY_REASON}`],
    );
  }
}
