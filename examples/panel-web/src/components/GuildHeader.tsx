import type { ApiError } from '../api.js';
import { paths } from '../router.js';
import type { GuildDetail } from '../types.js';
import { GuildAvatar } from './GuildAvatar.js';
import { Icon } from './Icon.js';
import { Link } from './Link.js';

/** A server's name, version and id, with "Force sync". */
export function GuildHeader({
  guild,
  syncing,
  onForceSync,
}: {
  guild: GuildDetail;
  syncing: boolean;
  onForceSync: () => void;
}) {
  return (
    <header className="page-header guild-header">
      <GuildAvatar guildId={guild.guildId} name={guild.name} size="lg" />
      <div className="guild-heading">
        <h1 className="page-title">{guild.name}</h1>
        <p className="page-subtitle muted">
          <span className="pill">Version {guild.version}</span>
          <span className="guild-id">ID {guild.guildId}</span>
        </p>
      </div>
      <div className="page-actions">
        <button
          type="button"
          className="btn btn-secondary"
          onClick={onForceSync}
          disabled={syncing}
          aria-busy={syncing || undefined}
          title="Ask the bot to reload this server's configuration now"
        >
          <Icon name="sync" className={syncing ? 'spin' : undefined} />
          Force sync
        </button>
      </div>
    </header>
  );
}

/** The page of a server that cannot be shown (403, 404, or the first load failed). */
export function GuildUnavailable({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  const forbidden = error.status === 403;
  return (
    <section className="card empty-state">
      <h1 className="page-title">{forbidden ? 'You cannot manage this server' : 'Server unavailable'}</h1>
      <div role="alert">
        <p className="muted">{error.message}</p>
      </div>
      <div className="empty-actions">
        <Link to={paths.home} className="btn btn-primary">
          Back to your servers
        </Link>
        {!forbidden && (
          <button type="button" className="btn btn-secondary" onClick={onRetry}>
            Try again
          </button>
        )}
      </div>
    </section>
  );
}

/** Placeholders while a server loads. */
export function GuildSkeleton() {
  return (
    <div className="page" aria-busy="true">
      <div className="page-header">
        <div className="skeleton skeleton-title" />
      </div>
      <div className="guild-grid-layout">
        <div className="card skeleton skeleton-card" />
        <div className="card skeleton skeleton-card" />
      </div>
    </div>
  );
}
