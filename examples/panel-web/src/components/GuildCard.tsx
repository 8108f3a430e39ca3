import { paths } from '../router.js';
import type { GuildSummary } from '../types.js';
import { GuildAvatar } from './GuildAvatar.js';
import { Icon } from './Icon.js';
import { Link } from './Link.js';

/** A guild of the list: a link (named by the guild) to its settings page. */
export function GuildCard({ guild }: { guild: GuildSummary }) {
  const role = guild.isOwner ? 'Owner' : 'Administrator';
  return (
    <li className="guild-card-item">
      <Link
        to={paths.guild(guild.guildId)}
        className="card guild-card"
        aria-label={guild.name}
        aria-describedby={`guild-meta-${guild.guildId}`}
      >
        <GuildAvatar guildId={guild.guildId} name={guild.name} size="lg" />
        <span className="guild-card-body">
          <span className="guild-card-name">{guild.name}</span>
          <span className="guild-card-meta" id={`guild-meta-${guild.guildId}`}>
            <span className={guild.isOwner ? 'pill pill-accent' : 'pill'}>{role}</span>
            <span className="muted">Version {guild.version}</span>
          </span>
        </span>
        <Icon name="chevron" className="guild-card-chevron" />
      </Link>
    </li>
  );
}
