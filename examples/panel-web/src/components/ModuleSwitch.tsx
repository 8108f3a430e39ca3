/**
 * One module's on/off switch: a checkbox with `role="switch"`, named by its label ("Moderation"),
 * described by what the module does.
 */
export function ModuleSwitch({
  name,
  label,
  description,
  checked,
  pending,
  onToggle,
}: {
  name: string;
  label: string;
  description: string;
  checked: boolean;
  pending: boolean;
  onToggle: (enabled: boolean) => void;
}) {
  const id = `module-${name}`;
  return (
    <li className="module-row">
      <div className="module-text">
        <label className="module-label" htmlFor={id}>
          {label}
        </label>
        <p className="module-desc" id={`${id}-desc`}>
          {description}
        </p>
      </div>
      <span className={checked ? 'module-state is-on' : 'module-state'} aria-hidden="true">
        {checked ? 'On' : 'Off'}
      </span>
      <input
        id={id}
        type="checkbox"
        role="switch"
        aria-checked={checked}
        className="switch"
        checked={checked}
        aria-describedby={`${id}-desc`}
        aria-busy={pending || undefined}
        aria-disabled={pending || undefined}
        onChange={(e) => {
          if (!pending) onToggle(e.target.checked);
        }}
      />
    </li>
  );
}
