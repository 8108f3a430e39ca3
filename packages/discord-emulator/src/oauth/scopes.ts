/** OAuth2 scopes the emulator accepts (others are refused with `invalid_scope`). */
export const SUPPORTED_SCOPES: ReadonlySet<string> = new Set([
  'identify',
  'email',
  'guilds',
  'guilds.members.read',
  'connections',
  'openid',
  'bot',
  'applications.commands',
  'applications.commands.update',
  'applications.commands.permissions.update',
  'role_connections.write',
]);

/** Splits a scope parameter (space or `+` separated). */
export function parseScopes(raw: string | null | undefined): string[] {
  return [...new Set((raw ?? '').split(/[\s+]+/).filter((s) => s.length > 0))];
}
