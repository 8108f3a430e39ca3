import { defineSyncHandler } from './types.js';

/** `guild:reload` (the panel's "force sync"): the cache reloads the guild; this logs it. */
export const guildReload = defineSyncHandler({
  channel: 'guild:reload',
  handle(ctx, event) {
    ctx.logger.info(
      { guildId: event.guildId, reason: event.reason },
      `Reload requested for guild ${event.guildId}`,
    );
  },
});
