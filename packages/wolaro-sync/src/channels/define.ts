import { z } from 'zod';

/**
 * Metadata that may ride along in every payload: a unique `eventId` (used to drop duplicates
 * when the same event arrives through two transports) and the publishing `origin`.
 *
 * @example
 * ```ts
 * sync.subscribe('config:update', (e) => console.log(e.eventId, e.origin));
 * ```
 */
export const eventMetaShape = {
  eventId: z.string().min(1).max(64).optional(),
  origin: z.string().max(128).optional(),
};

/** The metadata fields every received payload may carry. @see {@link eventMetaShape} */
export interface EventMeta {
  eventId?: string | undefined;
  origin?: string | undefined;
}

/**
 * One channel of a contract: the zod schema of its payload and the Socket.io event it is
 * forwarded as (defaults to the channel name).
 *
 * @example
 * ```ts
 * const ticketCreated: ChannelDefinition = {
 *   schema: z.object({ guildId: snowflake, ticketId: z.string() }),
 *   socketEvent: 'ticket:created',
 * };
 * ```
 */
export interface ChannelDefinition<S extends z.ZodObject = z.ZodObject> {
  readonly schema: S;
  readonly socketEvent: string;
}

/**
 * A map of channel name to definition, as built by {@link defineChannels}.
 *
 * @example
 * ```ts
 * const map: ChannelMap = defineChannels({ 'ticket:created': { schema } });
 * ```
 */
export type ChannelMap = { readonly [channel: string]: ChannelDefinition };

type ChannelInput = { readonly schema: z.ZodObject; readonly socketEvent?: string };

/** The definitions produced by {@link defineChannels} from its input. */
export type DefinedChannels<T extends Record<string, ChannelInput>> = {
  readonly [K in keyof T]: ChannelDefinition<T[K]['schema']>;
};

const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/;

/**
 * Declares typed channels: each name gets a zod object schema for its payload and the Socket.io
 * event it is forwarded under. The six built-in channels are declared with it too. Pass the
 * result as `channels` to `SyncClient` to publish and subscribe your own events with full typing.
 *
 * Payloads are validated on publish and on receipt; unknown keys are stripped, and the event
 * metadata (`eventId`, `origin`) is always accepted.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineChannels, snowflake, SyncClient } from '@wolaro/sync';
 *
 * const channels = defineChannels({
 *   'ticket:created': {
 *     schema: z.object({ guildId: snowflake, ticketId: z.string(), timestamp: z.number().default(() => Date.now()) }),
 *     socketEvent: 'ticket:created',
 *   },
 * });
 * const sync = new SyncClient({ redis: process.env.REDIS_URL, channels });
 * await sync.publish('ticket:created', { guildId: '123', ticketId: 't-1' });
 * ```
 */
export function defineChannels<const T extends Record<string, ChannelInput>>(
  channels: T,
): DefinedChannels<T> {
  const out: Record<string, ChannelDefinition> = {};
  for (const [name, def] of Object.entries(channels)) {
    if (!CHANNEL_NAME.test(name)) {
      throw new TypeError(`Invalid channel name "${name}": use letters, digits and : . _ - (at most 64)`);
    }
    out[name] = Object.freeze({ schema: def.schema, socketEvent: def.socketEvent ?? name });
  }
  return Object.freeze(out) as DefinedChannels<T>;
}
