import type { AuditEntry as AuditRow, ConfigRevision } from '@wolaro/db';
import type { AuditEntry, Revision } from '../contract/index.js';

/** A revision as the API sends it (dates as ISO strings, the author's name always present). */
export const revisionBody = (r: ConfigRevision): Revision => ({
  id: r.id,
  version: r.version,
  settings: r.settings,
  modules: r.modules,
  changedBy: r.changedBy,
  changedByName: r.changedByName ?? null,
  change: r.change,
  createdAt: r.createdAt.toISOString(),
});

/** A command run as the API sends it. */
export const auditEntryBody = (e: AuditRow): AuditEntry => ({
  id: e.id,
  guildId: e.guildId,
  command: e.command,
  executorId: e.executorId,
  executor: e.executor,
  result: e.result,
  createdAt: e.createdAt.toISOString(),
});
