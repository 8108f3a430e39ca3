import type { GatewaySession } from './session.js';

/**
 * A dispatch to fan out to connected bots. `perSession` builds the payload per session when it depends on the
 * session (e.g. MESSAGE_CREATE without `content` for bots lacking MESSAGE_CONTENT).
 */
export interface GatewayEvent {
  t: string;
  d: unknown;
  /** When set, builds `d` per session (return null to skip the session). */
  perSession?: (session: GatewaySession) => unknown;
  /** The guild the event belongs to; sessions only get it if the bot is a member and it is on their shard. */
  guildId: string | null;
  /** Intent bits of which the session needs at least one; 0 = always delivered. */
  intents: number;
  /** Skip the membership check (events sent right after the bot left a guild). */
  anyMember?: boolean;
}
