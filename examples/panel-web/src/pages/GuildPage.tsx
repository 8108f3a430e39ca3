import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, errorMessage } from '../api.js';
import { CommandLog } from '../components/CommandLog.js';
import { ConflictAlert } from '../components/ConflictAlert.js';
import { ErrorAlert } from '../components/ErrorAlert.js';
import { GuildAvatar } from '../components/GuildAvatar.js';
import { Icon } from '../components/Icon.js';
import { Link } from '../components/Link.js';
import { ModuleList } from '../components/ModuleList.js';
import { RevisionHistory } from '../components/RevisionHistory.js';
import { type SaveOutcome, SettingsForm } from '../components/SettingsForm.js';
import { SETTING_KEYS, type SettingKey, type SettingValues } from '../draft.js';
import { moduleLabel, SETTING_LABELS } from '../format.js';
import { fromAudit, fromEvent, type LogItem, mergeFetched, prependLive } from '../logs.js';
import { navigate, paths } from '../router.js';
import { type LiveConnection, useOnConnect, useSocketEvent } from '../socket.js';
import type { ChannelRef, GuildDetail, GuildSettings, Revision } from '../types.js';

type Conflict =
  | { kind: 'settings'; patch: Partial<SettingValues>; currentVersion: number | undefined }
  | { kind: 'other' };

const ERROR_ID = 'guild-error';

/** `body.settings.prefix` → `prefix` */
function invalidSettings(err: unknown): SettingKey[] {
  if (!(err instanceof ApiError)) return [];
  return SETTING_KEYS.filter((key) => err.fields.some((f) => f.endsWith(`settings.${key}`)));
}

/**
 * One guild: settings, modules, live command log and history. Socket events for this guild update
 * the page in place; a reconnection refetches everything, so the page is never silently stale.
 */
export function GuildPage({
  guildId,
  live,
  userId,
  onGuildName,
}: {
  guildId: string;
  live: LiveConnection;
  userId: string | null;
  /** The name of the guild shown (for the sidebar and the document title). */
  onGuildName: (name: string | null) => void;
}) {
  const [guild, setGuild] = useState<GuildDetail | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<SettingKey[]>([]);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [channels, setChannels] = useState<ChannelRef[] | null>(null);
  const [channelsError, setChannelsError] = useState<string | null>(null);
  const [logs, setLogs] = useState<LogItem[] | null>(null);
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [saving, setSaving] = useState(false);
  const [syncing, setSyncing] = useState(false);
  const [reloading, setReloading] = useState(false);
  const [restoring, setRestoring] = useState<number | null>(null);
  const [pendingModules, setPendingModules] = useState<Record<string, boolean>>({});
  const guildRef = useRef(guild);
  guildRef.current = guild;

  const guildName = guild?.name ?? null;
  useEffect(() => {
    onGuildName(guildName);
    document.title = guildName ? `${guildName} · Wolaro Panel` : 'Wolaro Panel';
  }, [guildName, onGuildName]);
  useEffect(
    () => () => {
      onGuildName(null);
      document.title = 'Wolaro Panel';
    },
    [onGuildName],
  );

  const say = useCallback((message: string) => setNotice(message), []);
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 4000);
    return () => clearTimeout(timer);
  }, [notice]);

  const showError = useCallback((err: unknown) => {
    // `body.settings.prefix: must be…` → `Prefix: must be…`
    setError(
      errorMessage(err).replace(
        /\bbody\.settings\.(\w+)/g,
        (whole, key: string) => SETTING_LABELS[key] ?? whole,
      ),
    );
    setInvalid(invalidSettings(err));
  }, []);

  /** Loads the guild; an older answer than what is shown (an event won the race) is dropped. */
  const loadGuild = useCallback(
    async (force = false) => {
      try {
        const next = await api.guild(guildId);
        setGuild((prev) =>
          force || !prev || prev.guildId !== next.guildId || next.version >= prev.version ? next : prev,
        );
        setLoadError(null);
        return true;
      } catch (err) {
        if (err instanceof ApiError && (err.status === 403 || err.status === 404)) setLoadError(err);
        else if (!guildRef.current && err instanceof ApiError) setLoadError(err);
        else showError(err);
        return false;
      }
    },
    [guildId, showError],
  );

  const loadLogs = useCallback(async () => {
    try {
      const fetched = (await api.logs(guildId)).map(fromAudit);
      setLogs((current) => mergeFetched(fetched, current ?? []));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setLogs((current) => current ?? []);
    }
  }, [guildId]);

  const loadRevisions = useCallback(async () => {
    try {
      setRevisions(await api.revisions(guildId));
    } catch {
      setRevisions((current) => current ?? []);
    }
  }, [guildId]);

  const loadChannels = useCallback(async () => {
    try {
      setChannels((await api.channels(guildId)).text);
      setChannelsError(null);
    } catch (err) {
      setChannelsError(errorMessage(err));
    }
  }, [guildId]);

  const loadAll = useCallback(() => {
    void loadGuild();
    void loadLogs();
    void loadRevisions();
  }, [loadGuild, loadLogs, loadRevisions]);

  // A new guild id: start from scratch.
  useEffect(() => {
    setGuild(null);
    setLoadError(null);
    setError(null);
    setConflict(null);
    setLogs(null);
    setRevisions(null);
    setChannels(null);
    setChannelsError(null);
    setPendingModules({});
    loadAll();
    void loadChannels();
  }, [loadAll, loadChannels]);

  // Join this guild's room whenever the socket (re)connects (the gateway re-checks the rights).
  useEffect(() => {
    if (live.socket && live.connected) live.socket.emit('join:guild', guildId, () => {});
  }, [live.socket, live.connected, guildId]);

  // Events may have been missed while disconnected.
  useOnConnect(live.connects, loadAll);

  // Keep the history in step with the version shown.
  const version = guild?.version;
  const newestRevision = revisions?.[0]?.version;
  useEffect(() => {
    if (version === undefined || newestRevision === undefined || newestRevision >= version) return;
    const timer = setTimeout(() => void loadRevisions(), 250);
    return () => clearTimeout(timer);
  }, [version, newestRevision, loadRevisions]);

  useSocketEvent(live.socket, 'config:updated', (e) => {
    if (e.guildId !== guildId) return;
    // An unversioned event (e.g. a hand-made `redis-cli PUBLISH`) is not known to match the
    // database: treat it as "something changed" and load the truth instead of applying it.
    if (e.version === undefined) {
      void loadGuild(true);
      return;
    }
    setGuild((prev) => {
      if (!prev || (e.version !== undefined && e.version <= prev.version)) return prev;
      return {
        ...prev,
        settings: { ...prev.settings, ...e.settings } as GuildSettings,
        version: e.version ?? prev.version,
      };
    });
  });
  useSocketEvent(live.socket, 'module:toggled', (e) => {
    if (e.guildId !== guildId) return;
    setGuild((prev) => {
      if (!prev || (e.version !== undefined && e.version <= prev.version)) return prev;
      const before = prev.modules[e.module];
      return {
        ...prev,
        modules: {
          ...prev.modules,
          [e.module]: { enabled: e.enabled, config: e.config ?? before?.config ?? {} },
        },
        version: e.version ?? prev.version,
      };
    });
  });
  useSocketEvent(live.socket, 'guild:reload', (e) => {
    if (e.guildId !== guildId) return;
    void loadGuild();
    void loadRevisions();
  });
  useSocketEvent(live.socket, 'command:executed', (e) => {
    if (e.guildId !== guildId) return;
    setLogs((current) => prependLive(current ?? [], fromEvent(e)));
  });
  useSocketEvent(live.socket, 'permission:revoked', (e) => {
    if (e.guildId !== guildId) return;
    window.alert(e.reason);
    navigate(paths.home);
  });

  const save = async (patch: Partial<SettingValues>, saveVersion: number): Promise<SaveOutcome> => {
    setSaving(true);
    setError(null);
    setInvalid([]);
    try {
      const result = await api.updateSettings(guildId, patch, saveVersion);
      setGuild((prev) =>
        prev && result.version > prev.version
          ? { ...prev, settings: result.settings, version: result.version }
          : prev,
      );
      setConflict(null);
      say('Settings saved. The bot uses them now.');
      return 'saved';
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) {
        setConflict({ kind: 'settings', patch, currentVersion: err.currentVersion });
        return 'conflict';
      }
      showError(err);
      return 'error';
    } finally {
      setSaving(false);
    }
  };

  const reloadAfterConflict = async () => {
    setReloading(true);
    const ok = await loadGuild(true);
    setReloading(false);
    if (!ok) return;
    setConflict(null);
    setFormKey((k) => k + 1);
    void loadRevisions();
    say('Loaded the latest configuration.');
  };

  const overwrite = async () => {
    if (conflict?.kind !== 'settings') return;
    setReloading(true);
    await save(conflict.patch, conflict.currentVersion ?? guildRef.current?.version ?? 0);
    setReloading(false);
  };

  const toggleModule = async (name: string, enabled: boolean) => {
    const current = guildRef.current;
    if (!current) return;
    setPendingModules((p) => ({ ...p, [name]: enabled }));
    setError(null);
    try {
      const result = await api.toggleModule(guildId, name, enabled, current.version);
      setGuild((prev) =>
        prev && result.version > prev.version
          ? {
              ...prev,
              modules: { ...prev.modules, [name]: { enabled: result.enabled, config: result.config } },
              version: result.version,
            }
          : prev,
      );
      say(`${moduleLabel(name)} ${result.enabled ? 'enabled' : 'disabled'}.`);
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) setConflict({ kind: 'other' });
      else showError(err);
    } finally {
      setPendingModules(({ [name]: _, ...rest }) => rest);
    }
  };

  const forceSync = async () => {
    setSyncing(true);
    setError(null);
    try {
      await api.forceSync(guildId);
      say('Sync requested: the bot reloads this server now.');
    } catch (err) {
      showError(err);
    } finally {
      setSyncing(false);
    }
  };

  const restore = async (revision: number) => {
    const current = guildRef.current;
    if (!current) return;
    setRestoring(revision);
    setError(null);
    try {
      const result = await api.restore(guildId, revision, current.version);
      setGuild((prev) =>
        prev && result.version > prev.version
          ? { ...prev, settings: result.settings, modules: result.modules, version: result.version }
          : prev,
      );
      void loadRevisions();
      say(`Version ${revision} restored as version ${result.version}.`);
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) setConflict({ kind: 'other' });
      else showError(err);
    } finally {
      setRestoring(null);
    }
  };

  if (loadError) {
    const forbidden = loadError.status === 403;
    return (
      <section className="card empty-state">
        <h1 className="page-title">{forbidden ? 'You cannot manage this server' : 'Server unavailable'}</h1>
        <div role="alert">
          <p className="muted">{loadError.message}</p>
        </div>
        <div className="empty-actions">
          <Link to={paths.home} className="btn btn-primary">
            Back to your servers
          </Link>
          {!forbidden && (
            <button type="button" className="btn btn-secondary" onClick={() => void loadGuild()}>
              Try again
            </button>
          )}
        </div>
      </section>
    );
  }

  if (!guild) {
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

  return (
    <div className="page">
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
            onClick={() => void forceSync()}
            disabled={syncing}
            aria-busy={syncing || undefined}
            title="Ask the bot to reload this server's configuration now"
          >
            <Icon name="sync" className={syncing ? 'spin' : undefined} />
            Force sync
          </button>
        </div>
      </header>

      <nav className="section-nav" aria-label="Sections">
        <a href="#settings">Settings</a>
        <a href="#modules">Modules</a>
        <a href="#command-log">Command log</a>
        <a href="#history">History</a>
      </nav>

      <p className={notice ? 'toast is-visible' : 'toast'} aria-live="polite">
        {notice && <Icon name="check" size={16} />}
        {notice}
      </p>

      {conflict && (
        <ConflictAlert
          busy={reloading || saving}
          onReload={() => void reloadAfterConflict()}
          onOverwrite={conflict.kind === 'settings' ? () => void overwrite() : undefined}
        />
      )}
      {error && <ErrorAlert id={ERROR_ID} message={error} onDismiss={() => setError(null)} />}

      <div className="guild-grid-layout">
        <div className="col">
          <section className="card" id="settings" aria-labelledby="settings-title">
            <div className="card-head">
              <h2 id="settings-title" className="card-title">
                <Icon name="settings" /> Settings
              </h2>
            </div>
            <SettingsForm
              key={formKey}
              settings={guild.settings}
              version={guild.version}
              channels={channels}
              channelsError={channelsError}
              saving={saving}
              invalidFields={invalid}
              errorId={error ? ERROR_ID : undefined}
              onSave={save}
            />
          </section>
          <section className="card" id="modules" aria-labelledby="modules-title">
            <div className="card-head">
              <h2 id="modules-title" className="card-title">
                <Icon name="modules" /> Modules
              </h2>
              <p className="card-sub muted">Switches apply at once.</p>
            </div>
            <ModuleList
              modules={guild.modules}
              pending={pendingModules}
              onToggle={(n, on) => void toggleModule(n, on)}
            />
          </section>
        </div>
        <div className="col">
          <section className="card" id="command-log" aria-labelledby="log-title">
            <div className="card-head">
              <h2 id="log-title" className="card-title">
                <Icon name="log" /> Command log
              </h2>
              <p className="card-sub muted">Newest first, as the bot runs them.</p>
            </div>
            <CommandLog items={logs} />
          </section>
          <section className="card" id="history" aria-labelledby="history-title">
            <div className="card-head">
              <h2 id="history-title" className="card-title">
                <Icon name="history" /> History
              </h2>
              <p className="card-sub muted">Every save is a version you can restore.</p>
            </div>
            <RevisionHistory
              revisions={revisions}
              currentVersion={guild.version}
              userId={userId}
              channels={channels}
              restoring={restoring}
              onRestore={(v) => void restore(v)}
            />
          </section>
        </div>
      </div>
    </div>
  );
}
