const SNOWFLAKE = /^\d{1,20}$/;

/**
 * The shard that receives a guild's gateway events when a bot runs `shardCount` shards:
 * `(guild_id >> 22) % shardCount`, the formula Discord routes guilds with. Use it to drop, in a
 * sharded bot, the bus events (`config:update`, `guild:reload`, ...) of guilds another shard
 * serves, or to find which shard to ask about a guild (e.g. with discord.js `broadcastEval`).
 * Pure arithmetic: no discord.js needed.
 *
 * @param guildId - the guild's snowflake, as a string of digits
 * @param shardCount - the total number of shards (discord.js `shardCount`), at least 1
 * @returns the shard id, from 0 to `shardCount - 1`
 * @throws TypeError when `guildId` is not a snowflake; RangeError when `shardCount` is not an integer ≥ 1
 *
 * @example
 * ```ts
 * import { shardForGuild } from '@wolaro/sync/discord';
 *
 * const mine = new Set(client.ws.shards.map((shard) => shard.id));
 * sync.subscribe('config:update', (event) => {
 *   if (!mine.has(shardForGuild(event.guildId, client.options.shardCount ?? 1))) return; // another shard's guild
 *   console.log(`config of ${event.guildId} changed`);
 * });
 * shardForGuild('81384788765712384', 2); // 0
 * ```
 */
export function shardForGuild(guildId: string, shardCount: number): number {
  if (typeof guildId !== 'string' || !SNOWFLAKE.test(guildId)) {
    throw new TypeError(`guildId must be a Discord snowflake (1-20 digits), got ${JSON.stringify(guildId)}`);
  }
  if (!Number.isSafeInteger(shardCount) || shardCount < 1) {
    throw new RangeError(`shardCount must be an integer of at least 1, got ${String(shardCount)}`);
  }
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
