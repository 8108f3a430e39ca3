import { Events } from 'discord.js';
import { defineEvent } from './types.js';

/** discord.js errors (gateway, REST) are logged; an unhandled `error` event would end the process. */
export const clientError = defineEvent({
  name: Events.Error,
  execute(ctx, error) {
    ctx.logger.error({ err: error }, `Discord client error: ${error.message}`);
  },
});
