import type { CSSProperties } from 'react';
import { hueOf, initials } from '../format.js';

/** A guild's initials on a colour derived from its id (no CDN images: the panel works offline). */
export function GuildAvatar({
  guildId,
  name,
  size = 'md',
}: {
  guildId: string;
  name: string;
  size?: 'sm' | 'md' | 'lg';
}) {
  return (
    <span
      className={`avatar avatar-${size}`}
      style={{ '--hue': hueOf(guildId) } as CSSProperties}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}
