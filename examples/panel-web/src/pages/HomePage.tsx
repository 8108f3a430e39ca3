import { useCallback, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { ErrorAlert } from '../components/ErrorAlert.js';
import { GuildCard } from '../components/GuildCard.js';
import { type LiveConnection, useLiveLoad, useSocketEvent } from '../socket.js';
import type { GuildSummary } from '../types.js';

/** The guilds the user may manage (`GET /api/panel/guilds`), kept current on revocations. */
export function HomePage({ live }: { live: LiveConnection }) {
  const [guilds, setGuilds] = useState<GuildSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setGuilds(await api.guilds());
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);

  // A newer version of a listed guild: the card shows it (the list itself is unchanged).
  const bumpVersion = useCallback((e: { guildId: string; version?: number | undefined }) => {
    const version = e.version;
    if (!version) return;
    setGuilds(
      (gs) =>
        gs?.map((g) => (g.guildId === e.guildId ? { ...g, version: Math.max(g.version, version) } : g)) ?? gs,
    );
  }, []);

  useLiveLoad(live, load);
  useSocketEvent(live.socket, 'permission:revoked', () => void load());
  useSocketEvent(live.socket, 'module:toggled', bumpVersion);
  useSocketEvent(live.socket, 'config:updated', bumpVersion);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1 className="page-title">Your servers</h1>
          <p className="page-subtitle muted">
            Pick a server to change its settings and watch its commands live.
          </p>
        </div>
      </header>
      {error && <ErrorAlert message={error} onRetry={() => void load()} />}
      {guilds === null && !error && (
        <ul className="guild-grid" aria-busy="true" aria-label="Servers">
          {[0, 1, 2].map((i) => (
            <li key={i} className="card guild-card skeleton" />
          ))}
        </ul>
      )}
      {guilds && guilds.length > 0 && (
        <ul className="guild-grid" aria-label="Servers">
          {guilds.map((g) => (
            <GuildCard key={g.guildId} guild={g} />
          ))}
        </ul>
      )}
      {guilds?.length === 0 && (
        <section className="card empty-state">
          <h2>No servers to manage</h2>
          <p className="muted">
            Servers appear here when you own or administer them and the Wolaro bot is installed. Ask the owner
            for the Administrator permission, then reload.
          </p>
        </section>
      )}
    </div>
  );
}
