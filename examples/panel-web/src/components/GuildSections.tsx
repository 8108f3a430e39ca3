import type { Feedback, PageError } from '../hooks/use_feedback.js';
import type { GuildActions } from '../hooks/use_guild_actions.js';
import type { LogItem } from '../logs.js';
import type { ChannelRef, GuildDetail, Revision } from '../types.js';
import { CommandLog } from './CommandLog.js';
import { ModuleList } from './ModuleList.js';
import { RevisionHistory } from './RevisionHistory.js';
import { SectionCard } from './SectionCard.js';
import { SettingsForm } from './SettingsForm.js';

/** The id of the page's error banner, which invalid fields point to. */
export const ERROR_ID = 'guild-error';

/** The four sections of a server's page: settings, modules, command log and history. */
export function GuildSections({
  guild,
  formKey,
  userId,
  error,
  feedback,
  actions,
  channels,
  logs,
  revisions,
}: {
  guild: GuildDetail;
  /** Changing it drops the form's edits (after "Reload" in a conflict). */
  formKey: number;
  userId: string | null;
  error: PageError | null;
  feedback: Feedback;
  actions: GuildActions;
  channels: { channels: ChannelRef[] | null; error: string | null };
  logs: LogItem[] | null;
  revisions: Revision[] | null;
}) {
  return (
    <div className="guild-grid-layout">
      <div className="col">
        <SectionCard id="settings" title="Settings" icon="settings">
          <SettingsForm
            key={formKey}
            settings={guild.settings}
            version={guild.version}
            channels={channels.channels}
            channelsError={channels.error}
            saving={actions.saving}
            invalidFields={error?.fields ?? []}
            errorId={error ? ERROR_ID : undefined}
            onSave={actions.save}
            onDiscard={() => {
              if (error?.fields.length) feedback.clearError();
            }}
          />
        </SectionCard>
        <SectionCard id="modules" title="Modules" icon="modules" sub="Switches apply at once.">
          <ModuleList
            modules={guild.modules}
            pending={actions.pendingModules}
            onToggle={(n, on) => void actions.toggleModule(n, on)}
          />
        </SectionCard>
      </div>
      <div className="col">
        <SectionCard
          id="command-log"
          title="Command log"
          icon="log"
          sub="Newest first, as the bot runs them."
        >
          <CommandLog items={logs} />
        </SectionCard>
        <SectionCard
          id="history"
          title="History"
          icon="history"
          sub="Every save is a version you can restore."
        >
          <RevisionHistory
            revisions={revisions}
            currentVersion={guild.version}
            userId={userId}
            channels={channels.channels}
            restoring={actions.restoring}
            onRestore={(v) => void actions.restore(v)}
          />
        </SectionCard>
      </div>
    </div>
  );
}
