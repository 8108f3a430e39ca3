import { settingsPatch } from '@wolaro/panel-api/contract';
import { useState } from 'react';
import { ApiError, api } from '../api.js';
import type { SaveOutcome } from '../components/SettingsForm.js';
import type { SettingValues } from '../draft.js';
import { moduleLabel } from '../format.js';
import type { ConflictState } from './use_conflict.js';
import type { Feedback } from './use_feedback.js';
import type { GuildResource } from './use_guild.js';

/** What the writes of a server's page act on. */
export interface ActionTargets {
  guildId: string;
  guild: GuildResource;
  feedback: Feedback;
  conflicts: ConflictState;
  /** Reloads the revision history (after a restore). */
  reloadRevisions: () => void;
}

/** Saves settings edits at `version`; a 409 becomes a settings conflict the user resolves. */
function useSaveSettings({ guildId, guild, feedback, conflicts }: ActionTargets) {
  const [saving, setSaving] = useState(false);
  const save = async (patch: Partial<SettingValues>, version: number): Promise<SaveOutcome> => {
    // The form blocks what it can tell is invalid; this is the same check, on what is sent.
    const checked = settingsPatch.safeParse(patch);
    if (!checked.success) {
      feedback.showError(new Error('Correct the marked fields before saving.'));
      return 'error';
    }
    setSaving(true);
    feedback.clearError();
    try {
      const result = await api.updateSettings(guildId, checked.data, version);
      guild.apply(result.version, { settings: result.settings });
      conflicts.clear();
      feedback.say('Settings saved. The bot uses them now.');
      return 'saved';
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) {
        conflicts.report({ kind: 'settings', patch, currentVersion: err.currentVersion });
        return 'conflict';
      }
      feedback.showError(err);
      return 'error';
    } finally {
      setSaving(false);
    }
  };
  return { saving, save };
}

/** Switches a module on or off; the switch shows the wanted state until the answer. */
function useToggleModule({ guildId, guild, feedback, conflicts }: ActionTargets) {
  const [pendingModules, setPending] = useState<Record<string, boolean>>({});
  const toggleModule = async (name: string, enabled: boolean) => {
    const current = guild.current();
    if (!current) return;
    setPending((p) => ({ ...p, [name]: enabled }));
    feedback.clearError();
    try {
      const result = await api.toggleModule(guildId, name, enabled, current.version);
      const state = { enabled: result.enabled, config: result.config };
      guild.apply(result.version, (prev) => ({ modules: { ...prev.modules, [name]: state } }));
      feedback.say(`${moduleLabel(name)} ${result.enabled ? 'enabled' : 'disabled'}.`);
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) conflicts.report({ kind: 'other' });
      else feedback.showError(err);
    } finally {
      setPending(({ [name]: _, ...rest }) => rest);
    }
  };
  return { pendingModules, toggleModule };
}

/** Asks the bot to reload the server's configuration now. */
function useForceSync({ guildId, feedback }: ActionTargets) {
  const [syncing, setSyncing] = useState(false);
  const forceSync = async () => {
    setSyncing(true);
    feedback.clearError();
    try {
      await api.forceSync(guildId);
      feedback.say('Sync requested: the bot reloads this server now.');
    } catch (err) {
      feedback.showError(err);
    } finally {
      setSyncing(false);
    }
  };
  return { syncing, forceSync };
}

/** Restores an older revision as a new version. */
function useRestore({ guildId, guild, feedback, conflicts, reloadRevisions }: ActionTargets) {
  const [restoring, setRestoring] = useState<number | null>(null);
  const restore = async (revision: number) => {
    const current = guild.current();
    if (!current) return;
    setRestoring(revision);
    feedback.clearError();
    try {
      const result = await api.restore(guildId, revision, current.version);
      guild.apply(result.version, { settings: result.settings, modules: result.modules });
      reloadRevisions();
      feedback.say(`Version ${revision} restored as version ${result.version}.`);
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) conflicts.report({ kind: 'other' });
      else feedback.showError(err);
    } finally {
      setRestoring(null);
    }
  };
  return { restoring, restore };
}

/** Every write of a server's page, with what each is busy with. */
export function useGuildActions(targets: ActionTargets) {
  return {
    ...useSaveSettings(targets),
    ...useToggleModule(targets),
    ...useForceSync(targets),
    ...useRestore(targets),
  };
}

/** What {@link useGuildActions} returns. */
export type GuildActions = ReturnType<typeof useGuildActions>;
