import { useEffect, useRef } from 'react';
import { DismissButton } from './DismissButton.js';
import { Icon } from './Icon.js';

/** Something the user must know that is not an error of theirs (an access removed elsewhere). */
export function NoticeBanner({
  title,
  message,
  onDismiss,
}: {
  title: string;
  message: string;
  onDismiss: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  return (
    <div className="banner banner-warning" role="alert" ref={ref}>
      <Icon name="alert" className="banner-icon" />
      <div className="banner-text">
        <p className="banner-title">{title}</p>
        <p>{message}</p>
      </div>
      <div className="banner-actions">
        <DismissButton label="Dismiss notice" onDismiss={onDismiss} />
      </div>
    </div>
  );
}
