export { pendingOutboxCount } from './backlog.js';
export {
  type ClaimedOutboxEvent,
  DefaultEnqueueClaimedOptions,
  DefaultEnqueueOptions,
  type EnqueueClaimedOptions,
  type EnqueueOptions,
  enqueue,
  enqueueClaimed,
  enqueueClaimedMany,
  type OutboxEvent,
} from './enqueue.js';
export { PreconditionFailedError, RowNotFoundError } from './errors.js';
export { DefaultMigrateOptions, type MigrateOptions, type MigrateResult, migrate } from './migrate.js';
export {
  DefaultPublishAfterCommitOptions,
  type PublishAfterCommitOptions,
  publishAfterCommit,
  type Wakeable,
} from './publish_after_commit.js';
export { OutboxRelay } from './relay.js';
export {
  DefaultOutboxRelayOptions,
  type OutboxRelayOptions,
  type OutboxRelayStats,
} from './relay_options.js';
export { OUTBOX_NOTIFY_CHANNEL, OUTBOX_TABLE } from './sql.js';
export { isSqlFragment, type SqlFragment, sql, sqlQuery } from './sql_fragment.js';
export { type TransactionTimeouts, withTransaction } from './transaction.js';
export type { FastPathOptions, VersionedRowOptions } from './versioned_row.js';
export {
  type CommittedStatement,
  type StatementEvent,
  type VersionedUpdateStatementOptions,
  type VersionedUpdateStatementResult,
  versionedUpdateStatement,
} from './versioned_statement.js';
export {
  DefaultVersionedUpdateOptions,
  type VersionedUpdateOptions,
  type VersionedUpdateResult,
  versionedUpdate,
} from './versioned_update.js';
