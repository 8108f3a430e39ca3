import {
  apiErrorBody,
  auditLog,
  guildChannels,
  guildDetail,
  guildList,
  logoutResult,
  me,
  moduleUpdateResult,
  type PatchGuildBody,
  restoreResult,
  revisionList,
  settingsUpdateResult,
  syncResult,
} from '@wolaro/panel-api/contract';
import type { z } from 'zod';
import { getToken } from './session.js';

/**
 * An error answer of panel-api (`{ "error": { "code", "message", ...details } }`, the contract's
 * `apiErrorBody`), a network failure (`status` 0, code `network_error`) or an answer that does not
 * match the contract (code `invalid_response`).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** `currentVersion` of a 409, `fields` of a 400 (`body.settings.prefix`). */
    readonly details: { currentVersion?: number | undefined; fields?: string[] | undefined } = {},
  ) {
    super(message);
  }

  /** `version_conflict`: someone saved a newer version first. */
  get isConflict(): boolean {
    return this.status === 409;
  }

  /** The newer version a 409 reports, when it does. */
  get currentVersion(): number | undefined {
    return this.details.currentVersion;
  }

  /** Request fields a 400 names (`body.settings.prefix`). */
  get fields(): string[] {
    return this.details.fields ?? [];
  }
}

type UnauthorizedHandler = (error: ApiError) => void;
let onUnauthorized: UnauthorizedHandler = () => {};

/** What to do when the API answers 401 (the app sends the user to the login page). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** Words for people, by status, when the answer has no usable message. */
const STATUS_TEXT: Record<number, string> = {
  403: 'You cannot manage this server.',
  404: 'Not found.',
  413: 'The request is too large.',
  429: 'Too many requests: wait a moment and retry.',
  502: 'Discord did not answer as expected.',
  503: 'The service is unavailable right now.',
};

/** Words for people, by error code, instead of the API's developer-facing message. */
const CODE_TEXT: Record<string, string> = {
  forbidden: 'You cannot manage this server.',
  guild_not_found: 'The bot is not in this server (any more).',
  discord_unavailable: 'Discord is not configured on this panel.',
};

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy error page): fall back to the status
  }
  const fallback = STATUS_TEXT[res.status] ?? `Request failed (${res.status})`;
  const parsed = apiErrorBody.safeParse(body);
  if (!parsed.success) return new ApiError(res.status, 'error', fallback);
  const { code, message, currentVersion, fields } = parsed.data.error;
  return new ApiError(res.status, code, CODE_TEXT[code] ?? message, { currentVersion, fields });
}

/**
 * Calls panel-api on the same origin with the session token. Resolves with the JSON answer read
 * with the contract's `schema`; rejects with an {@link ApiError}. A 401 also runs the unauthorized
 * handler.
 */
export async function request<T>(
  schema: z.ZodType<T>,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers['authorization'] = `Bearer ${token}`;
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the server: check your connection and retry.');
  }
  if (!res.ok) {
    const error = await toApiError(res);
    if (res.status === 401) onUnauthorized(error);
    throw error;
  }
  const parsed = schema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new ApiError(
      res.status,
      'invalid_response',
      'The server sent an unexpected answer: reload the page.',
    );
  }
  return parsed.data;
}

const guildPath = (guildId: string) => `/api/panel/guilds/${encodeURIComponent(guildId)}`;

/** The endpoints the panel uses, each read with its schema from the API's contract. */
export const api = {
  me: () => request(me, 'GET', '/api/auth/me'),
  logout: () => request(logoutResult, 'POST', '/api/auth/logout'),

  guilds: async () => (await request(guildList, 'GET', '/api/panel/guilds')).guilds,
  guild: (guildId: string) => request(guildDetail, 'GET', guildPath(guildId)),
  updateSettings: (guildId: string, settings: PatchGuildBody['settings'], version: number) =>
    request(settingsUpdateResult, 'PATCH', guildPath(guildId), {
      settings,
      version,
    } satisfies PatchGuildBody),
  toggleModule: (guildId: string, module: string, enabled: boolean, version: number) =>
    request(moduleUpdateResult, 'PATCH', `${guildPath(guildId)}/modules/${encodeURIComponent(module)}`, {
      enabled,
      version,
    }),
  forceSync: (guildId: string) => request(syncResult, 'POST', `${guildPath(guildId)}/sync`, {}),
  revisions: async (guildId: string, limit = 20) =>
    (await request(revisionList, 'GET', `${guildPath(guildId)}/revisions?limit=${limit}`)).revisions,
  restore: (guildId: string, revision: number, version: number) =>
    request(restoreResult, 'POST', `${guildPath(guildId)}/revisions/${revision}/restore`, { version }),
  logs: async (guildId: string, limit = 50) =>
    (await request(auditLog, 'GET', `${guildPath(guildId)}/logs?limit=${limit}`)).logs,
  channels: (guildId: string) =>
    request(guildChannels, 'GET', `/api/discord/guilds/${encodeURIComponent(guildId)}/channels`),
};

/** A message for people from anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
