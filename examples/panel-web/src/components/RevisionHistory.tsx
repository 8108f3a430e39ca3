import { revisionSummary } from '../format.js';
import type { ChannelRef, Revision } from '../types.js';
import { RevisionItem } from './RevisionItem.js';

/** The list named "Revision history", newest first; any older version can be restored. */
export function RevisionHistory({
  revisions,
  currentVersion,
  userId,
  channels,
  restoring,
  onRestore,
}: {
  revisions: readonly Revision[] | null;
  currentVersion: number;
  userId: string | null;
  channels: readonly ChannelRef[] | null;
  restoring: number | null;
  onRestore: (version: number) => void;
}) {
  const channelName = (id: string) => channels?.find((c) => c.id === id)?.name;
  const authorOf = (r: Revision) => {
    if (r.changedBy === null) return 'Wolaro';
    if (r.changedBy === userId) return 'You';
    return r.changedByName ?? `User …${r.changedBy.slice(-4)}`;
  };
  return (
    <div className="rev-wrap">
      <ol className="rev-list" aria-label="Revision history" aria-busy={revisions === null || undefined}>
        {revisions?.map((r, i) => (
          <RevisionItem
            key={r.id}
            revision={r}
            summary={revisionSummary(r, revisions[i + 1], channelName)}
            author={authorOf(r)}
            current={r.version === currentVersion}
            restoring={restoring === r.version}
            disabled={restoring !== null}
            onRestore={() => onRestore(r.version)}
          />
        ))}
      </ol>
      {revisions === null && <p className="empty">Loading history…</p>}
      {revisions?.length === 0 && <p className="empty">No saved versions yet.</p>}
    </div>
  );
}
