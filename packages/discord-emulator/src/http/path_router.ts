/** HTTP methods the emulator routes. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Path parameters captured by a route pattern (`:name` segments). */
export type RouteParams = Readonly<Record<string, string>>;

interface CompiledRoute<T> {
  method: HttpMethod;
  pattern: string;
  segments: string[];
  value: T;
}

/** The outcome of {@link Router.match}. */
export type RouteMatch<T> =
  | { kind: 'found'; value: T; params: RouteParams; pattern: string }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

/**
 * A minimal path router: patterns like `/channels/:channelId/messages`, literal segments win over parameters
 * (`/users/@me` before `/users/:userId`).
 */
export class Router<T> {
  readonly #routes: CompiledRoute<T>[] = [];

  /** Registers a route. */
  add(method: HttpMethod, pattern: string, value: T): this {
    this.#routes.push({ method, pattern, segments: split(pattern), value });
    return this;
  }

  /** The registered routes, in registration order (method and pattern). */
  routes(): { method: HttpMethod; pattern: string }[] {
    return this.#routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }

  /** Finds the most specific route for a method and path. */
  match(method: string, path: string): RouteMatch<T> {
    const segments = split(path);
    let best: { route: CompiledRoute<T>; params: Record<string, string>; score: number } | null = null;
    const allowed = new Set<HttpMethod>();
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      allowed.add(route.method);
      if (route.method !== method) continue;
      const score = route.segments.filter((s) => !s.startsWith(':')).length;
      if (!best || score > best.score) best = { route, params, score };
    }
    if (best)
      return { kind: 'found', value: best.route.value, params: best.params, pattern: best.route.pattern };
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed] };
    return { kind: 'not-found' };
  }
}

const ID_SEGMENT = /^(\d{1,20}|@me|@original)$/;

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  if (pattern.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] as string;
    const actual = path[i] as string;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
      // An id parameter only takes a snowflake (or @me/@original), so `/messages/pins` is not message "pins".
      if (expected.endsWith('Id') && !ID_SEGMENT.test(params[expected.slice(1)] ?? '')) return null;
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}
