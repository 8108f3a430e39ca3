import type { SessionRevokedReason } from '@wolaro/sync';
import { type ClaimedOutboxEvent, enqueueClaimed, withTransaction } from '@wolaro/sync/pg';
import type pg from 'pg';
import type { EventPublisher } from './config_writes.js';
import { publishCommitted, revokeLostAccess } from './member_access.js';
import { replaceUserMemberships } from './members.js';
import { isSessionId } from './sessions.js';

/** Queues `session:revoked` for each ended session, in the caller's transaction. */
async function queueSessionEvents(
  client: pg.PoolClient,
  sessions: readonly { session_id: string; user_id: string }[],
  reason: SessionRevokedReason,
): Promise<ClaimedOutboxEvent[]> {
  const events: ClaimedOutboxEvent[] = [];
  for (const s of sessions) {
    events.push(
      await enqueueClaimed(client, 'session:revoked', { sessionId: s.session_id, userId: s.user_id, reason }),
    );
  }
  return events;
}

/**
 * Ends a session (logout): `revoked_at` is set and `session:revoked` is queued in the same
 * transaction, then published (the outbox relay sends it if the bus is down), so every panel node
 * disconnects the session's sockets. Returns whether the session was active.
 */
export async function endSession(
  pool: pg.Pool,
  publisher: EventPublisher,
  sessionId: string,
  reason: SessionRevokedReason = 'logout',
): Promise<boolean> {
  if (!isSessionId(sessionId)) return false;
  const events = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ session_id: string; user_id: string }>(
      `UPDATE panel_sessions SET revoked_at = now()
        WHERE session_id = $1 AND revoked_at IS NULL RETURNING session_id, user_id`,
      [sessionId],
    );
    return queueSessionEvents(client, rows, reason);
  });
  await publishCommitted(pool, publisher, events);
  return events.length > 0;
}

/**
 * Closes the sessions that reached their expiry (at most `limit` per call): each gets
 * `revoked_at = expires_at` and a `session:revoked` (`expired`) in the same transaction, so the
 * panels of a session whose token outlives its row are disconnected too. Returns how many closed.
 */
export async function expireSessions(pool: pg.Pool, publisher: EventPublisher, limit = 500): Promise<number> {
  const events = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ session_id: string; user_id: string }>(
      `UPDATE panel_sessions SET revoked_at = expires_at
        WHERE session_id IN (
          SELECT session_id FROM panel_sessions
           WHERE revoked_at IS NULL AND expires_at <= now()
           ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING session_id, user_id`,
      [limit],
    );
    return queueSessionEvents(client, rows, 'expired');
  });
  await publishCommitted(pool, publisher, events);
  return events.length;
}

/** What an OAuth2 login changed: see {@link syncLoginMemberships}. */
export interface LoginSync {
  /** Guilds the user could manage before this login and cannot now. */
  lostGuilds: string[];
  /** The user's other sessions ended because of it. */
  endedSessions: number;
}

/**
 * An OAuth2 login's view of the user's memberships (`/users/@me/guilds`, filtered to the bot's
 * guilds) replaces the stored one, in ONE transaction with its consequences: a `permission:revoked`
 * for every guild the user could manage before and cannot now, and, when there is any, the user's
 * other active sessions end with `session:revoked` (`relogin`): they were opened with rights the
 * user no longer has. The events are published after COMMIT (or by the relay).
 */
export async function syncLoginMemberships(
  pool: pg.Pool,
  publisher: EventPublisher,
  input: {
    userId: string;
    username: string;
    memberships: readonly { guildId: string; permissions: string; isOwner: boolean }[];
  },
): Promise<LoginSync> {
  const { userId } = input;
  const result = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ guild_id: string }>(
      'SELECT guild_id FROM guild_members WHERE user_id = $1 UNION SELECT guild_id FROM guilds WHERE owner_id = $1',
      [userId],
    );
    const watched = rows.map((r) => ({ userId, guildId: r.guild_id }));
    const revoked = await revokeLostAccess(
      client,
      watched,
      () => replaceUserMemberships(client, userId, input.username, input.memberships),
      () => 'Access lost, seen at login',
    );
    if (revoked.length === 0) return { events: revoked, lostGuilds: [], endedSessions: 0 };
    const { rows: ended } = await client.query<{ session_id: string; user_id: string }>(
      `UPDATE panel_sessions SET revoked_at = now()
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() RETURNING session_id, user_id`,
      [userId],
    );
    const sessionEvents = await queueSessionEvents(client, ended, 'relogin');
    return {
      events: [...revoked, ...sessionEvents],
      lostGuilds: revoked.map((e) => String(e.payload['guildId'])),
      endedSessions: ended.length,
    };
  });
  await publishCommitted(pool, publisher, result.events);
  return { lostGuilds: result.lostGuilds, endedSessions: result.endedSessions };
}
