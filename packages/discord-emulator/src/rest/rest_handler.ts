import type { IncomingMessage } from 'node:http';
import type { EmulatorContext } from '../domain/context.js';
import { EmulatorError, Errors } from '../errors.js';
import { type HttpResult, json } from '../http/http_result.js';
import type { Router } from '../http/path_router.js';
import { type ParsedBody, readBody } from '../http/read_body.js';
import { resolveAuth } from './auth.js';
import type { RateLimiter } from './rate_limit.js';
import type { RestRoute } from './rest_types.js';

const errorResult = (error: EmulatorError, headers?: Record<string, string>): HttpResult =>
  json(error.status, error.toDiscordBody(), headers);

/**
 * Handles one REST request whose path has already been stripped of `/api[/vN]`: routing (404/405), auth (401),
 * rate limit (429), body decoding (400 50109) and Discord-shaped errors.
 */
export async function handleRest(
  ctx: EmulatorContext,
  router: Router<RestRoute>,
  limiter: RateLimiter | null,
  request: IncomingMessage,
  path: string,
  query: URLSearchParams,
): Promise<HttpResult> {
  const method = request.method ?? 'GET';
  const match = router.match(method, path);
  if (match.kind === 'not-found') return errorResult(Errors.notFound());
  if (match.kind === 'method-not-allowed') return errorResult(Errors.methodNotAllowed());
  const route = match.value;

  let headers: Record<string, string> | undefined;
  if (limiter) {
    const major = route.major ? (match.params[route.major] ?? '') : '';
    const outcome = limiter.consume(`${method} ${match.pattern}`, major);
    headers = outcome.headers;
    if (outcome.limited) {
      ctx.logger.warn(`rest: 429 on ${method} ${match.pattern}`);
      return json(
        429,
        {
          message: 'You are being rate limited.',
          retry_after: outcome.retryAfterSeconds,
          global: false,
          code: 0,
        },
        headers,
      );
    }
  }

  const auth = resolveAuth(ctx.state, request.headers.authorization);
  const allowed =
    route.auth === 'none' ||
    (route.auth === 'bot' && auth?.kind === 'bot') ||
    (route.auth === 'bearer' && auth?.kind === 'bearer') ||
    (route.auth === 'any' && auth !== null);
  if (!allowed) return errorResult(Errors.unauthorized(), headers);

  const body: ParsedBody =
    method === 'GET' || method === 'DELETE' ? { kind: 'empty' } : await readBody(request);
  if (body.kind === 'invalid-json' && route.auth !== 'none')
    return errorResult(Errors.invalidJson(), headers);
  if (body.kind === 'too-large') return errorResult(Errors.entityTooLarge(), headers);

  try {
    const result = await route.handler(ctx, {
      method,
      params: match.params,
      query,
      headers: request.headers,
      body,
      auth,
    });
    return headers ? { ...result, headers: { ...headers, ...result.headers } } : result;
  } catch (error) {
    if (error instanceof EmulatorError) return errorResult(error, headers);
    ctx.logger.error(`rest: ${method} ${path} failed`, error);
    return json(500, { message: '500: Internal Server Error', code: 0 }, headers);
  }
}
