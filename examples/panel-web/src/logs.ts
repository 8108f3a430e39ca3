import { parseTime } from './format.js';
import type { AuditEntry, CommandResult } from './types.js';

/** One line of the live command log. */
export interface LogItem {
  key: string;
  time: number;
  command: string;
  executorId: string;
  executor: string | null;
  result: CommandResult;
  /** Arrived live (highlighted once). */
  live: boolean;
}

/** How many lines the log keeps. */
export const LOG_LIMIT = 50;

export function fromAudit(entry: AuditEntry): LogItem {
  return {
    key: `a:${entry.id}`,
    time: parseTime(entry.createdAt),
    command: entry.command,
    executorId: entry.executorId,
    executor: entry.executor,
    result: entry.result,
    live: false,
  };
}

export function fromEvent(e: {
  command: string;
  executorId: string;
  executor?: string | undefined;
  result: CommandResult;
  timestamp: number;
  eventId?: string | undefined;
}): LogItem {
  return {
    key: `e:${e.eventId ?? `${e.timestamp}:${e.executorId}:${e.command}`}`,
    time: e.timestamp,
    command: e.command,
    executorId: e.executorId,
    executor: e.executor ?? null,
    result: e.result,
    live: true,
  };
}

/** The same execution seen once live and once in the audit log (times differ slightly). */
function sameExecution(a: LogItem, b: LogItem): boolean {
  return (
    a.command === b.command &&
    a.executorId === b.executorId &&
    a.result === b.result &&
    Math.abs(a.time - b.time) < 10_000
  );
}

/** A live event on top of the log, unless it is already there. */
export function prependLive(items: readonly LogItem[], item: LogItem): LogItem[] {
  if (items.some((i) => i.key === item.key)) return [...items];
  return [item, ...items].slice(0, LOG_LIMIT);
}

/**
 * A fresh audit log (after load or reconnect) with the live events that it does not contain yet
 * (they were published before the bot's row was committed, or after the query).
 */
export function mergeFetched(fetched: readonly LogItem[], current: readonly LogItem[]): LogItem[] {
  const pending = current.filter((c) => c.key.startsWith('e:') && !fetched.some((f) => sameExecution(f, c)));
  const newest = fetched[0]?.time ?? 0;
  const extra = pending.filter((p) => p.time >= newest - 10_000);
  return [...extra, ...fetched].sort((a, b) => b.time - a.time).slice(0, LOG_LIMIT);
}
