import { useEffect, useState } from 'react';
import { ConflictAlert } from '../components/ConflictAlert.js';
import { ErrorAlert } from '../components/ErrorAlert.js';
import { GuildHeader, GuildSkeleton, GuildUnavailable } from '../components/GuildHeader.js';
import { ERROR_ID, GuildSections } from '../components/GuildSections.js';
import { Icon } from '../components/Icon.js';
import { useChannels } from '../hooks/use_channels.js';
import { useCommandLog } from '../hooks/use_command_log.js';
import { type ConflictState, useConflict } from '../hooks/use_conflict.js';
import { type Feedback, useFeedback } from '../hooks/use_feedback.js';
import { type GuildResource, useGuild } from '../hooks/use_guild.js';
import { type GuildActions, useGuildActions } from '../hooks/use_guild_actions.js';
import { useRevisions } from '../hooks/use_revisions.js';
import type { LiveConnection } from '../socket.js';

/** The ways out of a conflict: reload the newer configuration, or save the same edits over it. */
function conflictWays({
  conflicts,
  guild,
  actions,
  feedback,
  onReloaded,
}: {
  conflicts: ConflictState;
  guild: GuildResource;
  actions: GuildActions;
  feedback: Feedback;
  onReloaded: () => void;
}) {
  const { conflict } = conflicts;
  const reload = () =>
    conflicts.resolve(async () => {
      const ok = await guild.load(true);
      if (ok) {
        onReloaded();
        feedback.say('Loaded the latest configuration.');
      }
      return ok;
    });
  const overwrite =
    conflict?.kind === 'settings'
      ? () =>
          conflicts.resolve(async () => {
            const version = conflict.currentVersion ?? guild.current()?.version ?? 0;
            return (await actions.save(conflict.patch, version)) === 'saved';
          })
      : undefined;
  return { reload, overwrite };
}

/** Tells the app shell and the document title which server is shown. */
function useGuildName(name: string | null, onGuildName: (name: string | null) => void) {
  useEffect(() => {
    onGuildName(name);
    document.title = name ? `${name} · Wolaro Panel` : 'Wolaro Panel';
  }, [name, onGuildName]);
  useEffect(
    () => () => {
      onGuildName(null);
      document.title = 'Wolaro Panel';
    },
    [onGuildName],
  );
}

/**
 * One server: settings, modules, live command log and history, each kept by its own hook. Socket
 * events for this server update the page in place; a reconnection refetches everything, so the
 * page is never silently stale.
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
  /** The name of the server shown (for the sidebar and the document title). */
  onGuildName: (name: string | null) => void;
}) {
  const feedback = useFeedback();
  const guild = useGuild(guildId, live, feedback.showError);
  const shown = guild.guild;
  const revisions = useRevisions(guildId, live, shown?.version);
  const logs = useCommandLog(guildId, live);
  const channels = useChannels(guildId);
  const conflicts = useConflict();
  const actions = useGuildActions({
    guildId,
    guild,
    feedback,
    conflicts,
    reloadRevisions: () => void revisions.reload(),
  });
  const [formKey, setFormKey] = useState(0);
  useGuildName(shown?.name ?? null, onGuildName);

  if (guild.loadError) return <GuildUnavailable error={guild.loadError} onRetry={() => void guild.load()} />;
  if (!shown) return <GuildSkeleton />;

  const { conflict } = conflicts;
  const ways = conflictWays({
    conflicts,
    guild,
    actions,
    feedback,
    onReloaded: () => {
      setFormKey((k) => k + 1);
      void revisions.reload();
    },
  });
  const { error } = feedback;

  return (
    <div className="page">
      <GuildHeader guild={shown} syncing={actions.syncing} onForceSync={() => void actions.forceSync()} />
      <nav className="section-nav" aria-label="Sections">
        <a href="#settings">Settings</a>
        <a href="#modules">Modules</a>
        <a href="#command-log">Command log</a>
        <a href="#history">History</a>
      </nav>
      <p className={feedback.notice ? 'toast is-visible' : 'toast'} aria-live="polite">
        {feedback.notice && <Icon name="check" size={16} />}
        {feedback.notice}
      </p>
      {conflict && (
        <ConflictAlert
          busy={conflicts.busy || actions.saving}
          onReload={() => void ways.reload()}
          onOverwrite={ways.overwrite && (() => void ways.overwrite?.())}
        />
      )}
      {error && <ErrorAlert id={ERROR_ID} message={error.message} onDismiss={feedback.clearError} />}
      <GuildSections
        guild={shown}
        formKey={formKey}
        userId={userId}
        error={error}
        feedback={feedback}
        actions={actions}
        channels={channels}
        logs={logs}
        revisions={revisions.revisions}
      />
    </div>
  );
}
