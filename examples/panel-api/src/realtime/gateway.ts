import { getActiveSession, guildAccess, guildAccessMany, listManagedGuilds, managingPairs } from '@wolaro/db';
import type { SyncClient } from '@wolaro/sync';
import { attachSync, HandshakeError, jwtVerifier, type SyncGateway } from '@wolaro/sync-socketio';
import type pg from 'pg';
import proxyaddr from 'proxy-addr';
import type { Server } from 'socket.io';
import { TOKEN_ISSUER } from '../auth/tokens.js';
import type { AppLogger } from '../logger.js';

/**
 * Attaches `@wolaro/sync-socketio` with the panel's rules: the JWT of a live `panel_sessions` row
 * (a revoked or expired session cannot connect), rooms for the guilds the user manages, and the
 * same owner/ADMINISTRATOR check as the HTTP routes for `join:guild`, and after a bus outage every
 * room of this node re-checked with that rule in one query.
 */
export function createGateway(
  io: Server,
  options: {
    sync: SyncClient;
    pool: pg.Pool;
    jwtSecret: string;
    allowedOrigins: readonly string[] | undefined;
    /** Handshakes per client address and per user over a sliding window (`false`: no limit). */
    connectLimit: { perIp: number | false; perUser: number | false; windowMs: number };
    /** `TRUST_PROXY`: which `X-Forwarded-For` hops to believe, as Express does for its rate limit. */
    trustProxy: boolean | number;
    logger: AppLogger;
  },
): SyncGateway {
  const { pool, trustProxy } = options;
  // The same rule as Express's `trust proxy` for a boolean or a hop count.
  const trust = (_address: string, hop: number) =>
    typeof trustProxy === 'number' ? hop < trustProxy : trustProxy;
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
    authorizeRooms: (pairs) => managingPairs(pool, pairs, { botPresent: true }),
    // One query for every listed guild: a handshake costs 3 queries (session, list, check) at most.
    authorizeGuilds: async (userId, guildIds) => {
      const access = await guildAccessMany(pool, userId, guildIds);
      return guildIds.filter((id) => {
        const a = access.get(id);
        return a?.canManage === true && a.botPresent;
      });
    },
    connectionRateLimit: options.connectLimit,
    clientAddress: (request) => proxyaddr(request, trust),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    logger: options.logger,
  });
}
