import type { ReactNode } from 'react';
import { paths } from '../router.js';
import { ConnectionStatus } from './ConnectionStatus.js';
import { Icon } from './Icon.js';
import { Link } from './Link.js';

export interface Crumb {
  label: string;
  to?: string | undefined;
}

export interface ShellSection {
  id: string;
  label: string;
  icon: 'settings' | 'modules' | 'log' | 'history';
}

/**
 * The signed-in layout: a sidebar (brand, navigation, sections of the open guild) on wide screens,
 * a top bar with the connection status, the user and "Log out" everywhere.
 */
export function AppShell({
  username,
  connected,
  onLogout,
  current,
  guildName,
  sections,
  crumbs,
  children,
}: {
  username: string | null;
  connected: boolean;
  onLogout: () => void;
  current: 'home' | 'guild' | 'other';
  guildName?: string | undefined;
  sections?: readonly ShellSection[] | undefined;
  /** Where the page is ("Servers › Wolaro Demo"); the last one is the current page. */
  crumbs: readonly Crumb[];
  children: ReactNode;
}) {
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="sidebar-inner">
          <Brand className="brand" size={22} />
          <nav className="side-nav" aria-label="Main">
            <Link
              to={paths.home}
              className="side-link"
              aria-current={current === 'home' ? 'page' : undefined}
            >
              <Icon name="servers" />
              Servers
            </Link>
            {guildName && sections && (
              <div className="side-group">
                <p className="side-group-title" title={guildName}>
                  {guildName}
                </p>
                {sections.map((s) => (
                  <a key={s.id} className="side-link side-link-sub" href={`#${s.id}`}>
                    <Icon name={s.icon} />
                    {s.label}
                  </a>
                ))}
              </div>
            )}
          </nav>
          <p className="side-foot">Wolaro Sync · reference panel</p>
        </div>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <Brand className="brand brand-compact" size={20} />
          <Crumbs crumbs={crumbs} />
          <ConnectionStatus connected={connected} />
          {username && (
            <span className="user-chip" title={`Signed in as ${username}`}>
              <span className="user-avatar" aria-hidden="true">
                {username.slice(0, 1).toUpperCase()}
              </span>
              <span className="user-name">{username}</span>
            </span>
          )}
          <button type="button" className="btn btn-ghost btn-logout" onClick={onLogout} aria-label="Log out">
            <Icon name="logout" />
            <span className="btn-logout-text">Log out</span>
          </button>
        </header>
        <main id="main" className="content" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}

/** The breadcrumb trail; the last crumb is the current page. */
function Crumbs({ crumbs }: { crumbs: readonly Crumb[] }) {
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      <ol>
        {crumbs.map((c, i) => {
          const last = i === crumbs.length - 1;
          return (
            <li key={c.label}>
              {c.to && !last ? (
                <Link to={c.to}>{c.label}</Link>
              ) : (
                <span aria-current={last ? 'page' : undefined}>{c.label}</span>
              )}
              {!last && <Icon name="chevron" size={14} />}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

/** The logo and name, linking home (the sidebar's and the compact top bar's). */
function Brand({ className, size }: { className: string; size: number }) {
  return (
    <Link to={paths.home} className={className}>
      <span className="brand-mark">
        <Icon name="logo" size={size} />
      </span>
      <span className="brand-name">Wolaro</span>
    </Link>
  );
}
