import { Icon } from './Icon.js';

/** The small "×" button of a banner; `label` is what a screen reader announces. */
export function DismissButton({ label, onDismiss }: { label: string; onDismiss: () => void }) {
  return (
    <button type="button" className="btn btn-ghost btn-icon" onClick={onDismiss} aria-label={label}>
      <Icon name="close" />
    </button>
  );
}
