import { useEffect, useRef } from 'react';
import { DismissButton } from './DismissButton.js';
import { Icon } from './Icon.js';

/** An API error for people: `role="alert"`, with an optional retry and a dismiss button. */
export function ErrorAlert({
  message,
  id,
  onDismiss,
  onRetry,
}: {
  message: string;
  id?: string;
  onDismiss?: () => void;
  onRetry?: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // On a phone the action may be far below: bring the message into view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll again when the message changes
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [message]);
  return (
    <div className="banner banner-error" role="alert" id={id} ref={ref}>
      <Icon name="alert" className="banner-icon" />
      <p className="banner-text">{message}</p>
      <div className="banner-actions">
        {onRetry && (
          <button type="button" className="btn btn-secondary" onClick={onRetry}>
            Retry
          </button>
        )}
        {onDismiss && <DismissButton label="Dismiss error" onDismiss={onDismiss} />}
      </div>
    </div>
  );
}
