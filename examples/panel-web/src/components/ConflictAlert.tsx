import { useEffect, useRef } from 'react';
import { Icon } from './Icon.js';

/**
 * Shown on a 409: someone saved a newer version first. Nothing is overwritten until the user
 * chooses: "Reload" loads the newer configuration (dropping their edits), "Overwrite" saves
 * their edits over it.
 */
export function ConflictAlert({
  busy,
  onReload,
  onOverwrite,
}: {
  busy: boolean;
  onReload: () => void;
  onOverwrite?: (() => void) | undefined;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, []);
  return (
    <div className="banner banner-warning" role="alert" ref={ref}>
      <Icon name="alert" className="banner-icon" />
      <div className="banner-text">
        <p className="banner-title">This server was changed by someone else.</p>
        <p>
          {onOverwrite
            ? 'Your edits are kept below. Reload to see the newer configuration, or overwrite it with yours.'
            : 'Reload to see the newer configuration, then try again.'}
        </p>
      </div>
      <div className="banner-actions">
        <button type="button" className="btn btn-primary" onClick={onReload} disabled={busy}>
          Reload
        </button>
        {onOverwrite && (
          <button type="button" className="btn btn-secondary" onClick={onOverwrite} disabled={busy}>
            Overwrite
          </button>
        )}
      </div>
    </div>
  );
}
