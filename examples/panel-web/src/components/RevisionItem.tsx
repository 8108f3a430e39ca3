import { fullDateTime, parseTime, relativeTime } from '../format.js';
import type { Revision } from '../types.js';

/** One saved version: number, author, time, what changed, and a "Restore" button. */
export function RevisionItem({
  revision,
  summary,
  author,
  current,
  restoring,
  disabled,
  onRestore,
}: {
  revision: Revision;
  summary: readonly string[];
  author: string;
  current: boolean;
  restoring: boolean;
  disabled: boolean;
  onRestore: () => void;
}) {
  const at = parseTime(revision.createdAt);
  return (
    <li className={current ? 'rev is-current' : 'rev'}>
      <span className="rev-version">v{revision.version}</span>
      <div className="rev-body">
        <p className="rev-summary">{summary.join(' · ')}</p>
        <p className="rev-meta">
          {author} ·{' '}
          <time dateTime={new Date(at).toISOString()} title={fullDateTime(at)}>
            {relativeTime(at)}
          </time>
        </p>
      </div>
      {current ? (
        <span className="pill pill-accent">Current</span>
      ) : (
        <button
          type="button"
          className="btn btn-secondary btn-sm"
          aria-label={`Restore version ${revision.version}`}
          aria-busy={restoring || undefined}
          disabled={disabled}
          onClick={onRestore}
        >
          {restoring && <span className="spinner" aria-hidden="true" />}
          Restore
        </button>
      )}
    </li>
  );
}
