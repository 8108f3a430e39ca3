import type { z } from 'zod';
import {
  auditLog,
  cacheStats,
  guildChannels,
  guildDetail,
  guildList,
  health,
  logoutResult,
  me,
  moduleUpdateResult,
  restoreResult,
  revisionList,
  settingsUpdateResult,
  syncResult,
  websocketStats,
} from './responses.js';

/**
 * Every JSON route of the API: its success status and the schema of its answer. Errors of every
 * route have the shape of `apiErrorBody`. (`GET /metrics` is Prometheus text; the OAuth routes
 * redirect.)
 *
 * @example
 * ```ts
 * const route = PANEL_API_ROUTES['GET /api/panel/guilds/:id'];
 * const guild = route.response.parse(await res.json());
 * ```
 */
export const PANEL_API_ROUTES = {
  'GET /api/health': { status: 200, response: health },
  'GET /api/auth/me': { status: 200, response: me },
  'POST /api/auth/logout': { status: 200, response: logoutResult },
  'GET /api/panel/guilds': { status: 200, response: guildList },
  'GET /api/panel/guilds/:id': { status: 200, response: guildDetail },
  'PATCH /api/panel/guilds/:id': { status: 200, response: settingsUpdateResult },
  'PATCH /api/panel/guilds/:id/modules/:name': { status: 200, response: moduleUpdateResult },
  'POST /api/panel/guilds/:id/sync': { status: 202, response: syncResult },
  'GET /api/panel/guilds/:id/revisions': { status: 200, response: revisionList },
  'POST /api/panel/guilds/:id/revisions/:rev/restore': { status: 200, response: restoreResult },
  'GET /api/panel/guilds/:id/logs': { status: 200, response: auditLog },
  'GET /api/discord/guilds/:id/channels': { status: 200, response: guildChannels },
  'GET /api/admin/websocket/stats': { status: 200, response: websocketStats },
  'GET /api/admin/cache/stats': { status: 200, response: cacheStats },
} as const satisfies Record<string, { status: number; response: z.ZodType }>;

/**
 * A key of {@link PANEL_API_ROUTES}: `METHOD /path/:param`.
 *
 * @example
 * ```ts
 * const route: PanelApiRoute = 'GET /api/panel/guilds';
 * ```
 */
export type PanelApiRoute = keyof typeof PANEL_API_ROUTES;

/**
 * The answer of route `R` once parsed.
 *
 * @example
 * ```ts
 * type Guild = ResponseOf<'GET /api/panel/guilds/:id'>;
 * ```
 */
export type ResponseOf<R extends PanelApiRoute> = z.infer<(typeof PANEL_API_ROUTES)[R]['response']>;
