/**
 * `@wolaro/db`: the reference apps' schema and queries, used by the bot and the panel API (which
 * meet only through this database and the bus). Self-contained:
 * `createDatabase()` opens a real Postgres or embedded PGlite and migrates it; every query
 * function takes the pool (or a transaction's client) first and uses parameters only.
 *
 * @packageDocumentation
 */
export {
  type AuditEntry,
  type CommandRun,
  listAuditLog,
  type RecordedCommands,
  recordCommand,
  recordCommands,
} from './audit.js';
export {
  type ConfigWriteResult,
  type EventPublisher,
  MARK_DELAY_MS,
  requestGuildReload,
  restoreRevision,
  updateGuildModule,
  updateGuildSettings,
} from './config_writes.js';
export {
  createDatabase,
  type Database,
  type DatabaseOptions,
  type DatabaseTimeouts,
  DEFAULT_DATABASE_TIMEOUTS,
} from './database.js';
export {
  DEFAULT_MODULES,
  DEFAULT_SETTINGS,
  type GuildSettings,
  isModuleName,
  LANGUAGES,
  MODULE_NAMES,
  type ModuleName,
  type ModuleState,
  withDefaultModules,
  withDefaultSettings,
} from './defaults.js';
export { processAlive, runningEmbeddedUrl } from './embedded.js';
export {
  listenStatements,
  type QueryQueueLike,
  type ServedPglite,
  SessionAwareQueue,
  servePglite,
  startupSearchPath,
} from './embedded_queue.js';
export {
  botGuildIds,
  type GuildConfigRecord,
  type GuildRecord,
  type GuildShards,
  type GuildUpsert,
  getGuild,
  guildConfigLoaders,
  loadGuildConfig,
  loadModules,
  loadVersions,
  markGuildLeft,
  markGuildsLeftExcept,
  upsertGuild,
} from './guilds.js';
export {
  applyMemberChanges,
  type MemberChanges,
  managingPairs,
  publishCommitted,
  revokeLostAccess,
  type UserGuild,
} from './member_access.js';
export {
  ADMINISTRATOR,
  type GuildAccess,
  guildAccess,
  guildAccessMany,
  hasAdministrator,
  listManagedGuilds,
  type ManagedGuild,
  type MemberUpsert,
  pruneMembers,
  removeMember,
  replaceUserMemberships,
  setMemberPermissions,
  upsertMembers,
} from './members.js';
export { type MigrationResult, runMigrations } from './migrations.js';
export {
  DEFAULT_RETENTION,
  pruneAuditLog,
  pruneRevisions,
  RetentionJob,
  type RetentionOptions,
  type RetentionResult,
} from './retention.js';
export { type ConfigRevision, getRevision, listRevisions } from './revisions.js';
export { endSession, expireSessions, type LoginSync, syncLoginMemberships } from './session_revocations.js';
export {
  createSession,
  getActiveSession,
  getActiveSessionWithAccess,
  isSessionId,
  type PanelSession,
  pruneSessions,
  revokeSession,
  sessionManagesGuild,
} from './sessions.js';
export { type StallGuard, type StallGuardOptions, watchForStall } from './stall_guard.js';
export type { Queryable } from './types.js';
