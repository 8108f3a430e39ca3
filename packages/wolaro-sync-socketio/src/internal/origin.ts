/**
 * Decides whether a handshake's `Origin` header is acceptable.
 *
 * @example
 * ```ts
 * const check: OriginCheck = originCheck({ allowedOrigins: ['https://wolaro.fr'] });
 * check('https://wolaro.fr'); // true
 * ```
 */
export type OriginCheck = (origin: string | undefined) => boolean;

/**
 * Normalizes a configured origin (`https://Wolaro.fr/` → `https://wolaro.fr`). Throws a
 * `TypeError` naming the value when it is not an http(s) origin.
 *
 * @example
 * ```ts
 * normalizeOrigin('https://Wolaro.fr/'); // 'https://wolaro.fr'
 * normalizeOrigin('wolaro.fr');          // throws TypeError
 * ```
 */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`"${value}" is not an origin (expected e.g. https://wolaro.fr)`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname.length > 1 ||
    url.search ||
    url.hash
  ) {
    throw new TypeError(`"${value}" is not an origin (scheme://host[:port], no path)`);
  }
  return url.origin;
}

/**
 * Builds the origin check of the handshake. Browsers always send `Origin` on a WebSocket upgrade
 * and on cross-origin polling requests, so a browser page of another site is refused. Clients that
 * are not browsers (bots, scripts, server-side socket.io-client) send none; they are accepted
 * unless `requireOrigin` is set, since they could forge the header anyway. With no
 * `allowedOrigins` every origin passes.
 *
 * @example
 * ```ts
 * const check = originCheck({ allowedOrigins: ['https://wolaro.fr'], requireOrigin: false });
 * check('https://evil.example'); // false
 * check(undefined);              // true (not a browser)
 * ```
 */
export function originCheck(options: {
  allowedOrigins?: readonly string[] | undefined;
  requireOrigin?: boolean | undefined;
}): OriginCheck {
  const allowed = options.allowedOrigins ? new Set(options.allowedOrigins.map(normalizeOrigin)) : undefined;
  const requireOrigin = options.requireOrigin ?? false;
  return (origin) => {
    if (origin === undefined || origin === '') return !requireOrigin;
    if (!allowed) return true;
    // Compare normalized: browsers send lower-case scheme and host, but proxies may not.
    let normalized: string;
    try {
      normalized = new URL(origin).origin;
    } catch {
      return false; // `null` (sandboxed iframes, file://) and garbage
    }
    return normalized !== 'null' && allowed.has(normalized);
  };
}
