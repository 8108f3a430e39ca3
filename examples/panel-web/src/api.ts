import { getToken } from './session.js';
import type {
  AuditEntry,
  GuildChannels,
  GuildDetail,
  GuildSettings,
  GuildSummary,
  Me,
  ModuleUpdateResult,
  RestoreResult,
  Revision,
  SettingsUpdateResult,
} from './types.js';

/**
 * An error answer of panel-api (`{ "error": { "code", "message", ...details } }`), or a network
 * failure (`status` 0, code `network_error`).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields of the error object: `currentVersion` of a 409, `fields` of a 400. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  /** `version_conflict`: someone saved a newer version first. */
  get isConflict(): boolean {
    return this.status === 409;
  }

  /** The newer version a 409 reports, when it does. */
  get currentVersion(): number | undefined {
    const v = this.details['currentVersion'];
    return typeof v === 'number' ? v : undefined;
  }

  /** Request fields a 400 names (`body.settings.prefix`). */
  get fields(): string[] {
    const f = this.details['fields'];
    return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
  }
}

type UnauthorizedHandler = (error: ApiError) => void;
let onUnauthorized: UnauthorizedHandler = () => {};

/** What to do when the API answers 401 (the app sends the user to the login page). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

const STATUS_TEXT: Record<number, string> = {
  403: 'You cannot manage this guild.',
  404: 'Not found.',
  413: 'The request is too large.',
  429: 'Too many requests: wait a moment and retry.',
  502: 'Discord did not answer as expected.',
  503: 'The service is unavailable right now.',
};

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy error page): fall back to the status
  }
  const error =
    body !== null && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : null;
  if (error !== null && typeof error === 'object') {
    const { code, message, ...details } = error as Record<string, unknown>;
    return new ApiError(
      res.status,
      typeof code === 'string' ? code : 'error',
      typeof message === 'string' ? message : (STATUS_TEXT[res.status] ?? `Request failed (${res.status})`),
      details,
    );
  }
  return new ApiError(res.status, 'error', STATUS_TEXT[res.status] ?? `Request failed (${res.status})`);
}

/**
 * Calls panel-api on the same origin with the session token. Resolves with the JSON answer;
 * rejects with an {@link ApiError}. A 401 also runs the unauthorized handler.
 */
export async function request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
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
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const guildPath = (guildId: string) => `/api/panel/guilds/${encodeURIComponent(guildId)}`;

/** The endpoints the panel uses. */
export const api = {
  me: () => request<Me>('GET', '/api/auth/me'),
  logout: () => request<{ ok: boolean }>('POST', '/api/auth/logout'),

  guilds: async () => (await request<{ guilds: GuildSummary[] }>('GET', '/api/panel/guilds')).guilds,
  guild: (guildId: string) => request<GuildDetail>('GET', guildPath(guildId)),
  updateSettings: (guildId: string, settings: Partial<GuildSettings>, version: number) =>
    request<SettingsUpdateResult>('PATCH', guildPath(guildId), { settings, version }),
  toggleModule: (guildId: string, module: string, enabled: boolean, version: number) =>
    request<ModuleUpdateResult>('PATCH', `${guildPath(guildId)}/modules/${encodeURIComponent(module)}`, {
      enabled,
      version,
    }),
  forceSync: (guildId: string) =>
    request<{ ok: boolean; published: boolean }>('POST', `${guildPath(guildId)}/sync`, {}),
  revisions: async (guildId: string, limit = 20) =>
    (await request<{ revisions: Revision[] }>('GET', `${guildPath(guildId)}/revisions?limit=${limit}`))
      .revisions,
  restore: (guildId: string, revision: number, version: number) =>
    request<RestoreResult>('POST', `${guildPath(guildId)}/revisions/${revision}/restore`, { version }),
  logs: async (guildId: string, limit = 50) =>
    (await request<{ logs: AuditEntry[] }>('GET', `${guildPath(guildId)}/logs?limit=${limit}`)).logs,
  channels: (guildId: string) =>
    request<GuildChannels>('GET', `/api/discord/guilds/${encodeURIComponent(guildId)}/channels`),
};

/** A message for people from anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
