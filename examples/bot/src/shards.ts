import type { GuildShards } from '@wolaro/db';
import type { GuildConfigEventSource, SyncClient } from '@wolaro/sync';
import { shardForGuild } from '@wolaro/sync/discord';
import { type Client, Guild } from 'discord.js';

/**
 * The guilds this process serves. A bot run as several processes (`SHARD_ID`/`SHARD_COUNT`, or the
 * sharded launcher) gets the gateway events of its own shards' guilds only, but hears every event
 * of the bus: it acts on those of its guilds and drops the others before any database work.
 */
export interface ShardScope {
  /** The shards this process runs and the total; `undefined` when it runs them all (every guild is its own). */
  readonly shards: GuildShards | undefined;
  /** Whether this process serves the guild. */
  owns(guildId: string): boolean;
}

const EVERY_GUILD: ShardScope = Object.freeze({ shards: undefined, owns: () => true });

/**
 * The scope of a discord.js client, from its resolved options: `shards` and `shardCount` as the
 * bot config gave them, or as discord.js read them from a sharding manager's environment
 * (`SHARDS`, `SHARD_COUNT`). `shards: 'auto'` runs every shard in this process: every guild.
 */
export function shardScopeOf(client: Client): ShardScope {
  const { shards, shardCount } = client.options;
  if (!Array.isArray(shards) || typeof shardCount !== 'number') return EVERY_GUILD;
  const mine = new Set(shards.filter((id) => id < shardCount));
  if (mine.size >= shardCount) return EVERY_GUILD;
  return Object.freeze({
    shards: Object.freeze({ shards: [...mine].sort((a, b) => a - b), count: shardCount }),
    owns: (guildId: string) => mine.has(shardForGuild(guildId, shardCount)),
  });
}

/**
 * The guild a discord.js event is about, from its first argument: a `Guild` (GUILD_CREATE/DELETE),
 * something of a guild (`member.guild`, `role.guild`) or something with a `guildId` (a message, an
 * interaction). `undefined` for events of no guild (READY, errors, DMs).
 */
export function eventGuildId(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (first instanceof Guild) return first.id;
  if (typeof first !== 'object' || first === null) return undefined;
  const { guild, guildId } = first as { guild?: unknown; guildId?: unknown };
  if (guild instanceof Guild) return guild.id;
  return typeof guildId === 'string' ? guildId : undefined;
}

/**
 * The bus as the guild config cache sees it: only the events of this process's guilds, so the
 * cache holds, invalidates and reloads its own guilds only (another shard does the rest). `resync`
 * passes through: each process revalidates what it holds.
 */
export function ownGuildEvents(sync: SyncClient, scope: ShardScope): GuildConfigEventSource {
  if (scope.shards === undefined) return sync;
  type Subscribe = (channel: string, handler: (event: { guildId: string }) => void) => () => void;
  const subscribe = sync.subscribe.bind(sync) as unknown as Subscribe;
  const filtered: Subscribe = (channel, handler) =>
    subscribe(channel, (event) => {
      if (scope.owns(event.guildId)) handler(event);
    });
  return {
    subscribe: filtered as unknown as GuildConfigEventSource['subscribe'],
    on: (event, listener) => sync.on(event, listener),
    off: (event, listener) => sync.off(event, listener),
  };
}
