import { MODULES, moduleLabel } from '../format.js';
import type { ModuleState } from '../types.js';
import { ModuleSwitch } from './ModuleSwitch.js';

/** The bot's modules as switches; a toggle is saved at once. */
export function ModuleList({
  modules,
  pending,
  onToggle,
}: {
  modules: Record<string, ModuleState>;
  /** Module name → the state being saved. */
  pending: Readonly<Record<string, boolean>>;
  onToggle: (name: string, enabled: boolean) => void;
}) {
  const extra = Object.keys(modules)
    .filter((name) => !MODULES.some((m) => m.name === name))
    .map((name) => ({ name, label: moduleLabel(name), description: 'A module of this bot' }));
  return (
    <ul className="module-list">
      {[...MODULES, ...extra].map((m) => {
        const target = pending[m.name];
        return (
          <ModuleSwitch
            key={m.name}
            name={m.name}
            label={m.label}
            description={m.description}
            checked={target ?? modules[m.name]?.enabled ?? false}
            pending={target !== undefined}
            onToggle={(enabled) => onToggle(m.name, enabled)}
          />
        );
      })}
    </ul>
  );
}
