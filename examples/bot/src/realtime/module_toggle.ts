import { defineSyncHandler } from './types.js';

/** `module:toggle`: the cache reloads the guild; this logs it. */
export const moduleToggle = defineSyncHandler({
  channel: 'module:toggle',
  handle(ctx, event) {
    ctx.logger.info(
      { guildId: event.guildId, module: event.module, enabled: event.enabled, version: event.version },
      `Module ${event.module} ${event.enabled ? 'enabled' : 'disabled'} for guild ${event.guildId}`,
    );
  },
});
