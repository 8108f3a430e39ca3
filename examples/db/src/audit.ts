import type { Queryable } from './types.js';

/** A command execution (`audit_log`), as the bot records it and the panel lists it. */
export interface AuditEntry {
  id: string;
  guildId: string;
  command: string;
  executorId: string;
  executor: string | null;
  result: 'success' | 'error' | 'denied';
  createdAt: Date;
}

interface AuditRow {
  id: string;
  guild_id: string;
  command: string;
  executor_id: string;
  executor: string | null;
  result: AuditEntry['result'];
  created_at: Date;
}

const COLUMNS = 'id::text AS id, guild_id, command, executor_id, executor, result, created_at';

const toEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  guildId: r.guild_id,
  command: r.command,
  executorId: r.executor_id,
  executor: r.executor,
  result: r.result,
  createdAt: r.created_at,
});

/**
 * Records a command execution (the bot, next to publishing `command:executed`).
 *
 * @example
 * ```ts
 * await recordCommand(pool, { guildId, command: 'ban', executorId: user.id, executor: user.username, result: 'success' });
 * ```
 */
export async function recordCommand(
  db: Queryable,
  input: {
    guildId: string;
    command: string;
    executorId: string;
    executor?: string | null | undefined;
    result: AuditEntry['result'];
  },
): Promise<AuditEntry> {
  const { rows } = await db.query<AuditRow>(
    `INSERT INTO audit_log (guild_id, command, executor_id, executor, result) VALUES ($1, $2, $3, $4, $5)
     RETURNING ${COLUMNS}`,
    [input.guildId, input.command, input.executorId, input.executor ?? null, input.result],
  );
  return toEntry(rows[0]!);
}

/** A guild's most recent command executions, newest first. */
export async function listAuditLog(db: Queryable, guildId: string, limit = 50): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log WHERE guild_id = $1 ORDER BY id DESC LIMIT $2`,
    [guildId, limit],
  );
  return rows.map(toEntry);
}
