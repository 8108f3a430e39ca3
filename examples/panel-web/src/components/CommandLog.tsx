import type { LogItem } from '../logs.js';
import { CommandLogItem } from './CommandLogItem.js';

/** The list named "Live command log": the latest executions, newest first, new ones on top. */
export function CommandLog({ items }: { items: readonly LogItem[] | null }) {
  return (
    <div className="log-wrap">
      <ol className="log" aria-label="Live command log" aria-busy={items === null || undefined}>
        {items?.map((item) => (
          <CommandLogItem key={item.key} item={item} />
        ))}
      </ol>
      {items === null && <p className="empty">Loading recent commands…</p>}
      {items?.length === 0 && (
        <p className="empty">No commands yet. Run one in Discord and it shows up here instantly.</p>
      )}
    </div>
  );
}
