import type { Logger } from '@wolaro/sync';
import { guardedCall } from './guard.js';
import { isSnowflake } from './ids.js';

/** What {@link GuildAuthorizer} needs from the options. */
export interface GuildAuthorizerDeps {
  authorize: (userId: string, guildId: string) => boolean | Promise<boolean>;
  listGuilds: ((userId: string) => readonly string[] | Promise<readonly string[]>) | undefined;
  authorizeGuilds:
    | ((userId: string, guildIds: readonly string[]) => readonly string[] | Promise<readonly string[]>)
    | undefined;
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
    if (ids.length === 0) return [];
    if (this.#deps.authorizeGuilds) return this.#authorizeBatch(userId, ids);
    const allowed = await Promise.all(ids.map((guildId) => this.authorize(userId, guildId)));
    return ids.filter((_, i) => allowed[i]);
  }

  /**
   * One `authorizeGuilds` call for every listed guild. Only ids that were asked about count (a
   * callback cannot add rooms), and a failure means "none" (logged), like `authorize`.
   */
  async #authorizeBatch(userId: string, ids: readonly string[]): Promise<string[]> {
    const { authorizeGuilds, timeoutMs, logger } = this.#deps;
    const result = await guardedCall(
      () => authorizeGuilds?.(userId, ids) ?? [],
      timeoutMs,
      'authorizeGuilds',
    );
    if (!result.ok || !Array.isArray(result.value)) {
      const reason = result.ok ? 'it returned no array' : result.error.message;
      logger.warn(
        { err: result.ok ? undefined : result.error, userId },
        `authorizeGuilds failed for user ${userId}, no guild auto-joined: ${reason}`,
      );
      return [];
    }
    const allowed = new Set<unknown>(result.value);
    return ids.filter((id) => allowed.has(id));
  }
}
