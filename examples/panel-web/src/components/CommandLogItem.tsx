import { clockTime, fullDateTime } from '../format.js';
import type { LogItem } from '../logs.js';

const RESULT_LABEL = { success: 'success', error: 'error', denied: 'denied' } as const;

/**
 * The bot records a message command as typed (`?ping`) and a slash command by its bare name
 * (`ping`), which Discord users type as `/ping`.
 */
const commandLabel = (command: string) => (/^[a-z0-9]/i.test(command) ? `/${command}` : command);

/** One command execution: time, who, which command, and its result as a badge. */
export function CommandLogItem({ item }: { item: LogItem }) {
  return (
    <li className={item.live ? 'log-item is-new' : 'log-item'}>
      <time className="log-time" dateTime={new Date(item.time).toISOString()} title={fullDateTime(item.time)}>
        {clockTime(item.time)}
      </time>
      <span className="log-main">
        <code className="log-command">{commandLabel(item.command)}</code>
        <span className="log-executor" title={`User ${item.executorId}`}>
          {item.executor ?? item.executorId}
        </span>
      </span>
      <span className={`badge badge-${item.result}`}>{RESULT_LABEL[item.result] ?? item.result}</span>
    </li>
  );
}
