import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 signatures of bus messages. A signed message is the JSON the client encoded with
 * one more member appended: `{…,"_wsig":"v1.<43 base64url chars>"}`. The MAC covers the wire
 * channel (key prefix included), a newline and the JSON as it was before the member was added,
 * so a signature is valid only for that exact text on that exact channel. Appending keeps the
 * `eventId` first (what `FailoverTransport` reads) and costs no extra JSON encode or decode.
 */

const SIG_PREFIX = ',"_wsig":"v1.';
const MAC_CHARS = 43; // base64url of 32 bytes, no padding
const SUFFIX_LENGTH = SIG_PREFIX.length + MAC_CHARS + 2; // + '"}'
const MAC_BYTES = 32;

/** What a received message becomes: the JSON to decode, or why it was refused. */
export type VerifyResult = { ok: true; body: string } | { ok: false; reason: string };

/** Where the signature member starts in `raw`, or -1 when `raw` carries none. */
function signatureAt(raw: string): number {
  const at = raw.length - SUFFIX_LENGTH;
  if (at < 1 || raw.charCodeAt(raw.length - 1) !== 125 || raw.charCodeAt(raw.length - 2) !== 34) return -1;
  return raw.startsWith(SIG_PREFIX, at) ? at : -1;
}

/**
 * The message without its signature member, for a client without a key: it ignores signatures
 * (so signed and unsigned processes can be rolled out one by one).
 */
export function stripSignature(raw: string): string {
  const at = signatureAt(raw);
  return at < 0 ? raw : `${raw.slice(0, at)}}`;
}

/** Signs and verifies with one current key and any number of accepted older (or newer) ones. */
export class MessageSigner {
  readonly #current: KeyObject;
  readonly #accepted: readonly KeyObject[];

  constructor(current: string, accepted: readonly string[] = []) {
    // The current key first: what this process signs with is also what it most often receives.
    const keys = [...new Set([current, ...accepted])].map((k) => createSecretKey(Buffer.from(k, 'utf8')));
    this.#current = keys[0] as KeyObject;
    this.#accepted = keys;
  }

  /** `json` (an encoded JSON object) with its signature member appended. */
  sign(channel: string, json: string): string {
    const mac = mac256(this.#current, channel, json).toString('base64url');
    return `${json.slice(0, -1)}${SIG_PREFIX}${mac}"}`;
  }

  /** The signed JSON of `raw` when one of the accepted keys signed it for `channel`. */
  verify(channel: string, raw: string): VerifyResult {
    const at = signatureAt(raw);
    if (at < 0) return { ok: false, reason: 'unsigned message (a signing key is set)' };
    const given = Buffer.from(raw.slice(at + SIG_PREFIX.length, raw.length - 2), 'base64url');
    if (given.length !== MAC_BYTES) return { ok: false, reason: 'bad signature' };
    const body = `${raw.slice(0, at)}}`;
    for (const key of this.#accepted) {
      if (timingSafeEqual(mac256(key, channel, body), given)) return { ok: true, body };
    }
    return { ok: false, reason: 'bad signature' };
  }
}

function mac256(key: KeyObject, channel: string, json: string): Buffer {
  return createHmac('sha256', key).update(channel).update('\n').update(json).digest();
}
