import type { ClientEvents } from 'discord.js';
import type { BotContext } from '../context.js';

/** One discord.js event handler: the event's name and what to do, as data. */
export interface BotEvent<K extends keyof ClientEvents = keyof ClientEvents> {
  name: K;
  /** Run for the first occurrence only. */
  once?: boolean;
  execute(ctx: BotContext, ...args: ClientEvents[K]): Promise<void> | void;
}

/** Any {@link BotEvent}, whatever its event. */
export type AnyBotEvent = { [K in keyof ClientEvents]: BotEvent<K> }[keyof ClientEvents];

/** Types a handler by its event name. */
export function defineEvent<K extends keyof ClientEvents>(event: BotEvent<K>): BotEvent<K> {
  return event;
}
