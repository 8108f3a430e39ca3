import { getActiveSession, guildAccess, listManagedGuilds } from '@wolaro/db';
import type { SyncClient } from '@wolaro/sync';
import { attachSync, HandshakeError, jwtVerifier, type SyncGateway } from '@wolaro/sync-socketio';
import type pg from 'pg';
import type { Server } from 'socket.io';
import { TOKEN_ISSUER } from '../auth/tokens.js';
import type { AppLogger } from '../logger.js';

/**
 * Attaches `@wolaro/sync-socketio` with the panel's rules: the JWT of a live `panel_sessions` row
 * (a revoked or expired session cannot connect), rooms for the guilds the user manages, and the
 * same owner/ADMINISTRATOR check as the HTTP routes for `join:guild`.
 */
export function createGateway(
  io: Server,
  options: {
    sync: SyncClient;
    pool: pg.Pool;
    jwtSecret: string;
    allowedOrigins: readonly string[] | undefined;
    logger: AppLogger;
  },
): SyncGateway {
  const { pool } = options;
  const verifyJwt = jwtVerifier({ secret: options.jwtSecret, issuer: TOKEN_ISSUER });
  return attachSync(io, {
    sync: options.sync,
    verifyToken: async (token) => {
      const identity = await verifyJwt(token);
      const session = identity.sessionId ? await getActiveSession(pool, identity.sessionId) : null;
      if (!session || session.userId !== identity.userId) throw new HandshakeError('unauthorized');
      return identity;
    },
    authorize: async (userId, guildId) => {
      const access = await guildAccess(pool, userId, guildId);
      return access.canManage && access.botPresent;
    },
    listGuilds: async (userId) => (await listManagedGuilds(pool, userId)).map((g) => g.guildId),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    logger: options.logger,
  });
}
