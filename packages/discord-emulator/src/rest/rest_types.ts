import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorContext } from '../domain/context.js';
import type { HttpResult } from '../http/http_result.js';
import type { RouteParams } from '../http/path_router.js';
import type { ParsedBody } from '../http/read_body.js';
import type { RestAuth } from './auth.js';

/** Who may call a route: the bot token, an OAuth2 bearer token, either, or anyone. */
export type AuthRequirement = 'bot' | 'bearer' | 'any' | 'none';

/** A decoded REST request. */
export interface RestRequest {
  method: string;
  params: RouteParams;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: ParsedBody;
  auth: RestAuth | null;
}

/** A REST route handler. */
export type RestHandler = (ctx: EmulatorContext, request: RestRequest) => HttpResult | Promise<HttpResult>;

/** A REST route. */
export interface RestRoute {
  auth: AuthRequirement;
  handler: RestHandler;
  /** Path parameter identifying the rate limit bucket's major parameter. */
  major?: string;
}
