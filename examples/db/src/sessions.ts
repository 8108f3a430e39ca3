import { randomUUID } from 'node:crypto';
import { type SqlFragment, sql } from '@wolaro/sync/pg';
import { accessOf, type GuildAccess, type GuildAccessRow } from './members.js';
import { type Queryable, SNOWFLAKE } from './types.js';

/** A panel login (`panel_sessions`). */
export interface PanelSession {
  sessionId: string;
  userId: string;
  username: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` has the shape of a session id (checked before it reaches a `uuid` column). */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

interface SessionRow {
  session_id: string;
  user_id: string;
  username: string | null;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const toSession = (r: SessionRow): PanelSession => ({
  sessionId: r.session_id,
  userId: r.user_id,
  username: r.username,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

/** Creates a session that expires in `ttlSeconds`. */
export async function createSession(
  db: Queryable,
  input: { userId: string; username?: string | null | undefined; ttlSeconds: number },
): Promise<PanelSession> {
  const { rows } = await db.query<SessionRow>(
    `INSERT INTO panel_sessions (session_id, user_id, username, expires_at)
     VALUES ($1, $2, $3, now() + $4::double precision * interval '1 second')
     RETURNING session_id, user_id, username, created_at, expires_at, revoked_at`,
    [randomUUID(), input.userId, input.username ?? null, input.ttlSeconds],
  );
  return toSession(rows[0]!);
}

/** A session that exists, is not revoked and has not expired; `null` otherwise. */
export async function getActiveSession(db: Queryable, sessionId: string): Promise<PanelSession | null> {
  if (!isSessionId(sessionId)) return null;
  const { rows } = await db.query<SessionRow>(
    `SELECT session_id, user_id, username, created_at, expires_at, revoked_at FROM panel_sessions
      WHERE session_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
    [sessionId],
  );
  return rows[0] ? toSession(rows[0]) : null;
}

/**
 * {@link getActiveSession} and the session user's {@link GuildAccess} to `guildId` in one query
 * (what every `/guilds/:id` request checks); `null` when the session is not active. A prepared
 * statement: parsed once per connection.
 */
export async function getActiveSessionWithAccess(
  db: Queryable,
  sessionId: string,
  guildId: string,
): Promise<{ session: PanelSession; access: GuildAccess } | null> {
  if (!isSessionId(sessionId)) return null;
  if (!SNOWFLAKE.test(guildId)) {
    const session = await getActiveSession(db, sessionId);
    return session && { session, access: { exists: false, botPresent: false, canManage: false } };
  }
  const { rows } = await db.query<SessionRow & GuildAccessRow>({
    name: 'wolaro_session_with_access',
    text: `SELECT s.session_id, s.user_id, s.username, s.created_at, s.expires_at, s.revoked_at,
            g.owner_id, g.bot_present, m.permissions, m.is_owner, g.guild_id IS NOT NULL AS exists
       FROM panel_sessions s
       LEFT JOIN guilds g ON g.guild_id = $2
       LEFT JOIN guild_members m ON m.guild_id = $2 AND m.user_id = s.user_id
      WHERE s.session_id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
    values: [sessionId, guildId],
  });
  const row = rows[0];
  if (!row) return null;
  return { session: toSession(row), access: accessOf(row, row.user_id) };
}

/**
 * The checks of {@link getActiveSessionWithAccess} as a SQL condition, for a write to make them
 * its precondition (`versionedUpdateStatement`'s `precondition`): session `sessionId` of `userId`
 * is active (not revoked, not expired), the guild exists with the bot present, and the user owns
 * it or holds ADMINISTRATOR there. Checked by the write's own statement, so revoking the session
 * or the rights before the write commits stops it, with no round trip of its own.
 */
export function sessionManagesGuild(
  auth: { sessionId: string; userId: string },
  guildId: string,
): SqlFragment {
  if (!isSessionId(auth.sessionId) || !SNOWFLAKE.test(auth.userId) || !SNOWFLAKE.test(guildId)) {
    return sql`false`;
  }
  // ADMINISTRATOR is bit 3 of the decimal bitfield (as `hasAdministrator` reads it); the column's
  // CHECK keeps it 1 to 20 digits, which may exceed bigint: numeric reads any of them, and `mod` is
  // exact where numeric division rounds (n / 8 of 20 digits comes back rounded to an integer).
  return sql`EXISTS (SELECT 1 FROM panel_sessions s
      JOIN guilds g ON g.guild_id = ${guildId} AND g.bot_present
      LEFT JOIN guild_members m ON m.guild_id = g.guild_id AND m.user_id = s.user_id
     WHERE s.session_id = ${auth.sessionId}::uuid AND s.user_id = ${auth.userId}
       AND s.revoked_at IS NULL AND s.expires_at > now()
       AND (g.owner_id = s.user_id OR m.is_owner IS TRUE OR mod(m.permissions::numeric, 16) >= 8))`;
}

/** Revokes a session (logout); returns whether it was active. */
export async function revokeSession(db: Queryable, sessionId: string): Promise<boolean> {
  if (!isSessionId(sessionId)) return false;
  const { rowCount } = await db.query(
    'UPDATE panel_sessions SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL',
    [sessionId],
  );
  return (rowCount ?? 0) > 0;
}

/** Deletes sessions that expired or were revoked more than `olderThanSeconds` ago. */
export async function pruneSessions(db: Queryable, olderThanSeconds = 7 * 86_400): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM panel_sessions
      WHERE COALESCE(revoked_at, expires_at) < now() - $1::double precision * interval '1 second'`,
    [olderThanSeconds],
  );
  return rowCount ?? 0;
}
