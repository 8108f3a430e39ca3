import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon.js';

/** A titled card of a page, the target of the section links (`#settings`, ...). */
export function SectionCard({
  id,
  title,
  icon,
  sub,
  children,
}: {
  id: string;
  title: string;
  icon: IconName;
  sub?: string;
  children: ReactNode;
}) {
  return (
    <section className="card" id={id} aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`} className="card-title">
          <Icon name={icon} /> {title}
        </h2>
        {sub && <p className="card-sub muted">{sub}</p>}
      </div>
      {children}
    </section>
  );
}
