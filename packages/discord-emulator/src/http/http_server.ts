import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ControlHttpDeps, ControlRoute } from '../control/control_routes.js';
import { controlError } from '../control/control_routes.js';
import type { EmulatorContext } from '../domain/context.js';
import { EmulatorError, Errors } from '../errors.js';
import type { GatewayHub } from '../gateway/hub.js';
import type { RateLimiter } from '../rest/rate_limit.js';
import { handleRest } from '../rest/rest_handler.js';
import type { RestRoute } from '../rest/rest_types.js';
import { type HttpResult, json, writeResult } from './http_result.js';
import type { Router } from './path_router.js';
import { readBody } from './read_body.js';

/** Everything the HTTP server dispatches to. */
export interface HttpServerDeps {
  ctx: EmulatorContext;
  rest: Router<RestRoute>;
  control: Router<ControlRoute>;
  controlDeps: ControlHttpDeps;
  limiter: RateLimiter | null;
  gateway: GatewayHub;
}

const CORS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization',
};

const API_PREFIX = /^\/api(?:\/v(\d+))?(?=\/|$)/;

async function route(deps: HttpServerDeps, req: IncomingMessage): Promise<HttpResult> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const path = url.pathname;
  const method = req.method ?? 'GET';

  if (path === '/_emulator' || path.startsWith('/_emulator/')) {
    if (method === 'OPTIONS') return { status: 204, headers: CORS };
    const result = await handleControl(deps, req, path.slice('/_emulator'.length) || '/', url.searchParams);
    return { ...result, headers: { ...CORS, ...result.headers } };
  }

  const api = API_PREFIX.exec(path);
  if (api) {
    const version = api[1];
    if (version !== undefined && version !== '9' && version !== '10') {
      return json(400, Errors.invalidApiVersion().toDiscordBody());
    }
    return handleRest(
      deps.ctx,
      deps.rest,
      deps.limiter,
      req,
      path.slice(api[0].length) || '/',
      url.searchParams,
    );
  }
  if (path === '/oauth2/authorize') {
    return handleRest(deps.ctx, deps.rest, null, req, path, url.searchParams);
  }
  if (method === 'GET' && path.startsWith('/attachments/')) return serveAttachment(deps, path);
  if (method === 'GET' && path === '/') {
    return json(200, {
      name: '@wolaro/discord-emulator',
      apiUrl: `${deps.ctx.config.baseUrl}/api`,
      gatewayUrl: deps.ctx.config.gatewayUrl,
      controlUrl: `${deps.ctx.config.baseUrl}/_emulator`,
    });
  }
  return json(404, Errors.notFound().toDiscordBody());
}

async function handleControl(
  deps: HttpServerDeps,
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
): Promise<HttpResult> {
  const match = deps.control.match(req.method ?? 'GET', path);
  if (match.kind === 'not-found') {
    return json(404, {
      error: { code: 'not_found', message: `No control route ${req.method} /_emulator${path}` },
    });
  }
  if (match.kind === 'method-not-allowed') {
    return json(405, {
      error: { code: 'method_not_allowed', message: `Allowed: ${match.allowed.join(', ')}` },
    });
  }
  const raw =
    req.method === 'GET' || req.method === 'DELETE' ? { kind: 'empty' as const } : await readBody(req);
  let body: unknown;
  switch (raw.kind) {
    case 'json':
      body = raw.value;
      break;
    case 'empty':
      body = undefined;
      break;
    case 'invalid-json':
      return json(400, {
        error: { code: 'invalid_json', message: 'The request body contains invalid JSON.' },
      });
    default:
      return json(400, { error: { code: 'invalid_body', message: 'Control API bodies must be JSON.' } });
  }
  try {
    return match.value(deps.controlDeps, { params: match.params, query, body });
  } catch (error) {
    if (error instanceof EmulatorError) return controlError(error);
    if (error instanceof TypeError)
      return json(400, { error: { code: 'bad_request', message: error.message } });
    deps.ctx.logger.error(`control: ${req.method} ${path} failed`, error);
    return json(500, { error: { code: 'internal', message: 'Internal emulator error' } });
  }
}

function serveAttachment(deps: HttpServerDeps, path: string): HttpResult {
  const [, , channelId, attachmentId] = path.split('/');
  const file = attachmentId ? deps.ctx.state.file(attachmentId) : undefined;
  if (!file || file.channel_id !== channelId) return json(404, Errors.notFound().toDiscordBody());
  return {
    status: 200,
    bytes: {
      data: Buffer.from(file.data_base64, 'base64'),
      contentType: file.content_type ?? 'application/octet-stream',
    },
  };
}

/** Creates the HTTP server: REST under `/api[/v9|/v10]`, OAuth2 authorize, control API, attachments, gateway upgrades. */
export function createHttpServer(deps: HttpServerDeps): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(deps, req)
      .then((result) => {
        deps.ctx.logger.debug(`${req.method} ${req.url} -> ${result.status}`);
        writeResult(res, result);
      })
      .catch((error: unknown) => {
        deps.ctx.logger.error(`http: ${req.method} ${req.url} failed`, error);
        if (!res.headersSent) writeResult(res, json(500, { message: '500: Internal Server Error', code: 0 }));
        else res.destroy();
      });
  });
  server.on('upgrade', (req, socket, head) => {
    if (deps.gateway.accepts(req)) deps.gateway.handleUpgrade(req, socket, head);
    else {
      socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      socket.destroy();
    }
  });
  return server;
}
