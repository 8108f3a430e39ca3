/**
 * Real-time configuration sync for Discord bots and their web panels: typed pub/sub channels
 * (`SyncClient`), cache keys, `RedisFallbackManager` and `GuildConfigCache`.
 * The Postgres outbox is in `@wolaro/sync/pg`, the discord.js helpers in `@wolaro/sync/discord`.
 *
 * @packageDocumentation
 * @module @wolaro/sync
 */
// Everything public is exported here; what lives under internal/ is not (and never will be).
export * from './cache/fallback.js';
export * from './cache/fallback_options.js';
export * from './cache/guild_config.js';
export * from './cache/guild_config_cache.js';
export * from './cache/guild_config_options.js';
export * from './cache/guild_config_sync.js';
export * from './channels/builtin.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, type DecodeResult, decodePayload } from './channels/codec.js';
export * from './channels/define.js';
export type * from './channels/types.js';
export * from './client/options.js';
export * from './client/sync_client.js';
export * from './errors.js';
export * from './keys/cache_keys.js';
export * from './logger.js';
export * from './transports/failover.js';
export * from './transports/memory.js';
export * from './transports/redis.js';
export type { Transport, TransportEvents } from './transports/transport.js';
