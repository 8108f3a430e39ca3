/**
 * The on-Redis format of cache values (internal to `src/cache`).
 *
 * A value written without a version is stored as is, so `redis-cli GET guild:config:123` shows the
 * JSON and values written by other tools are read back unchanged. A versioned value carries a tiny
 * header in front of the data:
 *
 * ```
 * \x01{version}:{writtenAtMs}\x01{data}      versioned value
 * \x01T{version}:{writtenAtMs}\x01           tombstone: "anything older than {version} is gone"
 * \x01\x01{data}                             unversioned value whose data starts with \x01 (escaped)
 * ```
 *
 * One string (not a hash) keeps a read to a single `GET` and the decode to one `charCodeAt` for
 * plain values and one `indexOf` for versioned ones; the Lua compare-and-set reads the version with
 * one `string.match`. `\x01` never starts JSON or ordinary text, so raw values are unambiguous.
 */

const MARK = '\u0001';
const MARK_CODE = 1;
const DIGITS = /^\d+$/;

/** A decoded cache value. `data` is `undefined` for a tombstone. */
export interface DecodedValue {
  data: string | undefined;
  version: number | undefined;
  writtenAt: number | undefined;
}

/** Encodes a value; without `version` the data is stored raw (escaped only if it starts with \x01). */
export function encodeValue(data: string, version: number | undefined, writtenAt: number): string {
  if (version === undefined) return data.charCodeAt(0) === MARK_CODE ? `${MARK}${MARK}${data}` : data;
  return `${MARK}${version}:${writtenAt}${MARK}${data}`;
}

/** Encodes a tombstone at `version`. */
export function encodeTombstone(version: number, writtenAt: number): string {
  return `${MARK}T${version}:${writtenAt}${MARK}`;
}

/** Decodes what {@link encodeValue} / {@link encodeTombstone} (or any other writer) stored. */
export function decodeValue(raw: string): DecodedValue {
  if (raw.charCodeAt(0) !== MARK_CODE) return { data: raw, version: undefined, writtenAt: undefined };
  const end = raw.indexOf(MARK, 1);
  if (end < 0) return { data: raw, version: undefined, writtenAt: undefined };
  if (end === 1) return { data: raw.slice(2), version: undefined, writtenAt: undefined };
  const tomb = raw.charCodeAt(1) === 84; // 'T'
  const colon = raw.indexOf(':', 1);
  const vEnd = colon > 0 && colon < end ? colon : end;
  // Digits only, as the CAS script reads them: `Number` alone would take '', '-5', ' 5' or '1e3'.
  const versionText = raw.slice(tomb ? 2 : 1, vEnd);
  const version = DIGITS.test(versionText) ? Number(versionText) : Number.NaN;
  const writtenAt = vEnd < end ? Number(raw.slice(vEnd + 1, end)) : undefined;
  if (!Number.isSafeInteger(version)) return { data: raw, version: undefined, writtenAt: undefined };
  return {
    data: tomb ? undefined : raw.slice(end + 1),
    version,
    writtenAt: writtenAt !== undefined && Number.isFinite(writtenAt) ? writtenAt : undefined,
  };
}

/**
 * Whether a versioned write (`incoming`) may replace the stored value `current`: always over nothing
 * or an unversioned value; over a versioned value only if newer; a value may also replace a tombstone
 * of the same version (the tombstone said "at least this version"). Mirrors {@link CAS_SCRIPT}.
 */
export function mayReplace(current: DecodedValue | undefined, version: number, tombstone: boolean): boolean {
  if (current === undefined || current.version === undefined) return true;
  if (!tombstone && current.data === undefined) return version >= current.version;
  return version > current.version;
}

/**
 * Compare-and-set in Redis, the same rule as {@link mayReplace}.
 * KEYS[1] key; ARGV[1] version; ARGV[2] encoded value; ARGV[3] '1' for a tombstone; ARGV[4] TTL ms;
 * ARGV[5] (optional) '1' to get the kept value back.
 * Returns 1 when written; when a newer value was kept, 0, or that value with ARGV[5] = '1'.
 */
export const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local nv = tonumber(ARGV[1])
if cur then
  local t, v = string.match(cur, '^' .. string.char(1) .. '(T?)(%d+)')
  if v then
    v = tonumber(v)
    local kept = 0
    if ARGV[5] == '1' then kept = cur end
    if ARGV[3] == '0' and t == 'T' then
      if nv < v then return kept end
    elseif nv <= v then
      return kept
    end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
return 1
`;
