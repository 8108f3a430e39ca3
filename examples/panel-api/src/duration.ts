const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses `90`, `90s`, `30m`, `12h`, `7d` or `1w` into seconds; `undefined` when malformed.
 *
 * @example
 * ```ts
 * parseDuration('12h'); // 43200
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d{1,9})\s*([smhdw]?)\s*$/i.exec(text);
  if (!match) return undefined;
  const [, amount = '', unit = ''] = match;
  return Number(amount) * (UNITS[unit.toLowerCase()] ?? 1);
}
