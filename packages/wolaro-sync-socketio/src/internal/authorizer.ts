import type { Logger } from '@wolaro/sync';
import { guardedCall } from './guard.js';
import { isSnowflake } from './ids.js';

/** What {@link GuildAuthorizer} needs from the options. */
export interface GuildAuthorizerDeps {
  authorize: (userId: string, guildId: string) => boolean | Promise<boolean>;
  listGuilds: ((userId: string) => readonly string[] | Promise<readonly string[]>) | undefined;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Runs the app's `authorize` and `listGuilds` so that a throw, a rejection, a timeout or a strange
 * result means "no" (logged), never an exception in the gateway.
 */
export class GuildAuthorizer {
  readonly #deps: GuildAuthorizerDeps;

  constructor(deps: GuildAuthorizerDeps) {
    this.#deps = deps;
  }

  /** `true` only if `authorize` answered exactly `true` in time. */
  async authorize(userId: string, guildId: string): Promise<boolean> {
    const { authorize, timeoutMs, logger } = this.#deps;
    const result = await guardedCall(() => authorize(userId, guildId), timeoutMs, 'authorize');
    if (!result.ok) {
      logger.warn(
        { err: result.error, userId, guildId },
        `authorize failed for user ${userId} on guild ${guildId}, refused: ${result.error.message}`,
      );
      return false;
    }
    return result.value === true;
  }

  /** The guilds of `listGuilds` that `authorize` allows; `[]` when `listGuilds` fails. */
  async autoJoinGuilds(userId: string): Promise<string[]> {
    const { listGuilds, timeoutMs, logger } = this.#deps;
    if (!listGuilds) return [];
    const listed = await guardedCall(() => listGuilds(userId), timeoutMs, 'listGuilds');
    if (!listed.ok) {
      logger.error(
        { err: listed.error, userId },
        `listGuilds failed for user ${userId}, no guild auto-joined: ${listed.error.message}`,
      );
      return [];
    }
    if (!Array.isArray(listed.value)) {
      logger.error({ userId }, `listGuilds returned no array for user ${userId}`);
      return [];
    }
    const ids = [...new Set(listed.value.filter(isSnowflake))];
    if (ids.length !== listed.value.length) {
      logger.warn({ userId }, `listGuilds returned ids that are not snowflakes for user ${userId}; skipped`);
    }
    const allowed = await Promise.all(ids.map((guildId) => this.authorize(userId, guildId)));
    return ids.filter((_, i) => allowed[i]);
  }
}
