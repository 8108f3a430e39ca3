/**
 * discord.js helpers for `@wolaro/sync` (optional peer dependency `discord.js` v14).
 *
 * @packageDocumentation
 * @module @wolaro/sync/discord
 */
export {
  CommandDeniedError,
  type CommandEventsOptions,
  type CommandInfo,
  withCommandEvents,
} from './commands.js';
export {
  lostAdministrator,
  type Revocation,
  type WatchPermissionOptions,
  watchPermissionRevocations,
} from './permissions.js';
export { shardForGuild } from './shards.js';
