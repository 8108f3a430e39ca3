import type { EmulatorState } from '../state/state_store.js';

/** Who a REST request is authenticated as. */
export type RestAuth =
  | { kind: 'bot'; userId: string }
  | { kind: 'bearer'; userId: string; scopes: readonly string[]; accessToken: string };

/** Resolves an `Authorization` header (`Bot <token>` or `Bearer <token>`); null when missing or invalid. */
export function resolveAuth(
  state: EmulatorState,
  header: string | undefined,
  now = Date.now(),
): RestAuth | null {
  if (!header) return null;
  const match = /^(Bot|Bearer)\s+(\S+)$/i.exec(header.trim());
  if (!match) return null;
  const scheme = (match[1] as string).toLowerCase();
  const token = match[2] as string;
  if (scheme === 'bot') {
    const app = state.application();
    return token === app.bot_token ? { kind: 'bot', userId: app.id } : null;
  }
  const grant = state.oauthToken(token);
  if (!grant || grant.expires_at <= now) return null;
  return { kind: 'bearer', userId: grant.user_id, scopes: grant.scopes, accessToken: token };
}
