/** Turns anything thrown into an Error (internal). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
