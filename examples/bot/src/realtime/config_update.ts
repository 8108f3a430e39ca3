import { defineSyncHandler } from './types.js';

/**
 * `config:update`: the cache invalidates and reloads the guild (its own subscription); this logs
 * `Config update received for guild {id}`, the line to look for after `redis-cli PUBLISH config:update '{"guildId":"123",…}'`.
 */
export const configUpdate = defineSyncHandler({
  channel: 'config:update',
  handle(ctx, event) {
    ctx.logger.info(
      { guildId: event.guildId, version: event.version },
      `Config update received for guild ${event.guildId}`,
    );
  },
});
