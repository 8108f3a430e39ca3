const EVENT_ID_AT_START = /^\{"eventId":"([^"\\]{1,64})"/;

/**
 * Extracts the `eventId` of a raw message without a full parse (the client writes it first).
 *
 * @example
 * ```ts
 * eventIdOf('{"eventId":"abc","guildId":"1"}'); // 'abc'
 * ```
 */
export function eventIdOf(raw: string): string | undefined {
  const m = EVENT_ID_AT_START.exec(raw);
  if (m) return m[1];
  if (!raw.includes('"eventId"')) return undefined;
  // Published by someone else with eventId elsewhere: only a top-level field counts.
  try {
    const id = (JSON.parse(raw) as { eventId?: unknown } | null)?.eventId;
    return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
